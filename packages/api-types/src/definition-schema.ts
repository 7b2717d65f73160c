// The VM definition, declared once: the TOML file, the API body and the CLI all use this schema.
import { Type, TypeGuard, OptionalKind, type Static, type TSchema } from "@sinclair/typebox";

export const NAME_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,62}$";
export const SIZE_PATTERN = "^[0-9]+(\\.[0-9]+)?\\s*([KMGT]i?B?|B)?$";
export const MAC_PATTERN = "^(auto|[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5})$";
/** An RFC 4122 UUID as written: 8-4-4-4-12 lower-case hex digits. */
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description });
const Size = (description: string) => Type.String({ pattern: SIZE_PATTERN, description: `${description} (with a unit: KiB, MiB, GiB, TiB)` });
const DatastorePath = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });

export const BootSchema = Type.Object({
  order: Type.Optional(Type.Array(Name("a disk, cdrom or NIC id"), { description: "devices to boot from, in order (a NIC boots from the network, PXE)" })),
  kernel: Type.Optional(DatastorePath("kernel image for direct kernel boot, relative to the datastore")),
  initrd: Type.Optional(DatastorePath("initramfs for direct kernel boot, relative to the datastore")),
  cmdline: Type.Optional(Type.String({ maxLength: 4096, description: "kernel command line" })),
  datastore: Type.Optional(Name("datastore holding kernel and initrd (default: the VM's)")),
}, { additionalProperties: false });

export const DiskSchema = Type.Object({
  file: DatastorePath("disk image, relative to the datastore"),
  datastore: Type.Optional(Name("datastore holding the file (default: the VM's)")),
  size: Type.Optional(Size("size; the image is created at this size when the file does not exist")),
  bus: Type.Optional(Type.Union([Type.Literal("virtio"), Type.Literal("sata"), Type.Literal("scsi"), Type.Literal("ide")])),
  format: Type.Optional(Type.Union([Type.Literal("qcow2"), Type.Literal("raw")])),
  readonly: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const CdromSchema = Type.Object({
  iso: Type.Optional(DatastorePath("ISO image, relative to the datastore; absent means an empty drive")),
  datastore: Type.Optional(Name("datastore holding the ISO (default: the VM's)")),
  bus: Type.Optional(Type.Union([Type.Literal("sata"), Type.Literal("ide"), Type.Literal("scsi")], { description: "sata (q35 default), ide (pc default) or scsi (virtio-scsi, for guests without AHCI)" })),
}, { additionalProperties: false });

export const NicSchema = Type.Object({
  network: Type.Optional(Name("a host network (`vmctl network ls`), default \"default\"; \"nat\", as definitions written before host networks said, means the host's default network unless one is named \"nat\"")),
  model: Type.Optional(Type.Union([Type.Literal("virtio"), Type.Literal("e1000"), Type.Literal("rtl8139")])),
  mac: Type.Optional(Type.String({ pattern: MAC_PATTERN, description: "\"auto\" or a MAC address; auto is allocated and written back" })),
  link: Type.Optional(Type.Union([Type.Literal("up"), Type.Literal("down")], { description: "the NIC's link as the guest sees it (cable plugged in or not), default up; `vmctl nic link` sets it, live on a running VM" })),
}, { additionalProperties: false });

export const ConsoleSchema = Type.Object({
  serial: Type.Optional(Type.Boolean()),
  vnc: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const PolicySchema = Type.Object({
  autostart: Type.Optional(Type.Boolean({ description: "start when vmctld starts" })),
  on_crash: Type.Optional(Type.Union([Type.Literal("restart"), Type.Literal("stop")], { description: "what to do when QEMU dies unexpectedly or the guest panics" })),
  stop_timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: "seconds a graceful stop waits before forcing" })),
  autostart_order: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000, description: "autostart order: lower starts first (default 0; equal orders start by name)" })),
  autostart_delay: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: "seconds to wait after this VM's start before the next autostart (default 0)" })),
  ha: Type.Optional(Type.Boolean({ description: "cluster HA (default false): when its host dies, vmcenter restarts the VM on another host; its disks must be on a shared datastore. A joined host then never starts it by itself (autostart, crash restart): only vmcenter's desired state does" })),
  host_tags: Type.Optional(Type.Array(Type.String({ pattern: NAME_PATTERN, description: "a host tag: lower case letters, digits, '-', '_' and '.'" }), { maxItems: 64, uniqueItems: true, description: "vmcenter places the VM only on hosts that have every one of these tags (default none)" })),
}, { additionalProperties: false });

/** A Linux user name as useradd takes it (and cloud-init writes it): lower case, at most 32. */
export const LINUX_USER_PATTERN = "^[a-z_][a-z0-9_-]{0,31}$";
/** A DNS host name: dot-separated labels of letters, digits and '-', each 1-63, at most 253 in all. */
export const HOSTNAME_PATTERN = "^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";
/** One OpenSSH public key line: type, base64 key, optional comment (no options, one line). */
export const SSH_PUBLIC_KEY_PATTERN = "^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\\.com) [A-Za-z0-9+/]+={0,3}( [ -~]*)?$";
/** A crypt(3) hash ($6$ SHA-512, $y$ yescrypt, $5$ SHA-256, $2b$ bcrypt, $1$ MD5…), never a password. */
export const CRYPT_HASH_PATTERN = "^\\$[0-9a-z]{1,4}\\$[./0-9A-Za-z$=,+-]{8,}$";
/** A Debian (or RPM) package name, optionally with =version. */
export const PACKAGE_PATTERN = "^[a-z0-9][a-z0-9+._-]{0,127}(=[A-Za-z0-9.+~:_-]{1,128})?$";

export const CloudInitUserSchema = Type.Object({
  name: Type.String({ pattern: LINUX_USER_PATTERN, title: "a Linux user name: lower-case letters, digits, '_' or '-', starting with a letter or '_', at most 32" }),
  ssh_authorized_keys: Type.Optional(Type.Array(Type.String({ maxLength: 16384, pattern: SSH_PUBLIC_KEY_PATTERN, title: "one line of a .pub file: type, base64 key, optional comment (e.g. \"ssh-ed25519 AAAA… me@laptop\")" }), { maxItems: 32, description: "public keys that may log in as this user" })),
  password_hash: Type.Optional(Type.String({ maxLength: 512, pattern: CRYPT_HASH_PATTERN, title: "a crypt(3) hash such as the output of `openssl passwd -6` or `mkpasswd -m yescrypt`, never the password itself", writeOnly: true, description: "the user's password as a crypt(3) hash; without one the password stays locked" })),
  sudo: Type.Optional(Type.Boolean({ description: "passwordless sudo (ALL=(ALL) NOPASSWD:ALL)" })),
  shell: Type.Optional(Type.String({ maxLength: 256, pattern: "^/[A-Za-z0-9._/-]+$", title: "an absolute path such as \"/bin/bash\"" })),
}, { additionalProperties: false });

/** First-boot configuration through cloud-init (NoCloud): a seed ISO labelled cidata vmctld attaches at start. */
export const CloudInitSchema = Type.Object({
  hostname: Type.Optional(Type.String({ maxLength: 253, pattern: HOSTNAME_PATTERN, title: "a host name: letters, digits and '-', dot-separated labels of at most 63 (default: the VM's name)" })),
  users: Type.Optional(Type.Array(CloudInitUserSchema, { maxItems: 16, description: "users to create (the image's default user is then not made)" })),
  ssh_authorized_keys: Type.Optional(Type.Array(Type.String({ maxLength: 16384, pattern: SSH_PUBLIC_KEY_PATTERN, title: "one line of a .pub file: type, base64 key, optional comment" }), { maxItems: 32, description: "keys for the image's default user (debian on Debian, ubuntu on Ubuntu images)" })),
  packages: Type.Optional(Type.Array(Type.String({ pattern: PACKAGE_PATTERN, title: "a package name such as \"nginx\" (optionally =version)" }), { maxItems: 128, description: "packages to install at first boot (needs a reachable mirror)" })),
  user_data: Type.Optional(Type.String({ maxLength: 65536, writeOnly: true, description: "user-data written as given (#cloud-config, a #! script, …), instead of the one made from users, ssh_authorized_keys and packages" })),
  network_config: Type.Optional(Type.String({ maxLength: 16384, description: "NoCloud network-config (version 1 or 2 YAML) written as given; without it the guest does DHCP" })),
}, { additionalProperties: false });

export const VmDefinitionSchema = Type.Object({
  name: Name("VM name: lower case letters, digits, '-', '_' and '.'"),
  uuid: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: "the VM's identity: allocated by vmctld on create, clone and import, kept on rename and migration; per-VM grants follow it" })),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  notes: Type.Optional(Type.String({ maxLength: 16384, description: "free text for the VM's administrators (several lines; at most 16 KiB)" })),
  template: Type.Optional(Type.Boolean({ description: "a template never starts or changes; clone or deploy VMs from it" })),
  cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  memory: Type.Optional(Size("guest memory")),
  machine: Type.Optional(Type.Union([Type.Literal("q35"), Type.Literal("pc"), Type.Literal("microvm")])),
  firmware: Type.Optional(Type.Union([Type.Literal("bios"), Type.Literal("uefi")])),
  accel: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("kvm"), Type.Literal("tcg")])),
  boot: Type.Optional(BootSchema),
  disks: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), DiskSchema)),
  cdroms: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), CdromSchema)),
  nics: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), NicSchema)),
  console: Type.Optional(ConsoleSchema),
  policy: Type.Optional(PolicySchema),
  cloud_init: Type.Optional(CloudInitSchema),
}, { additionalProperties: false });

export type VmDefinitionInput = Static<typeof VmDefinitionSchema>;

/** A disk as POST /api/v1/vms and PUT take it: one given only a size is made as <vm>/<disk>.qcow2 in the VM's datastore. */
export const NewDiskSchema = Type.Object({
  ...DiskSchema.properties,
  file: Type.Optional(DatastorePath("disk image, relative to the datastore; without it (and with a size), <vm>/<disk>.qcow2 in the VM's datastore, made at that size")),
}, { additionalProperties: false });

/** The definition as POST /api/v1/vms and PUT /api/v1/vms/{name} take it as JSON: a disk's file may be left to vmctld. */
export const VmDefinitionBodySchema = Type.Object({
  ...VmDefinitionSchema.properties,
  disks: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), NewDiskSchema)),
}, { additionalProperties: false });
export type VmDefinitionBody = Static<typeof VmDefinitionBodySchema>;

/** A definition after validation, with every default filled in and sizes in bytes (VmDetail.definition). */
export const ResolvedVmDefinitionSchema = Type.Object({
  name: Type.String(),
  /** Absent only in a definition vmctld has not written yet (older, or hand-written). */
  uuid: Type.Optional(Type.String()),
  description: Type.String(),
  notes: Type.String(),
  template: Type.Boolean(),
  cpus: Type.Integer(),
  memoryBytes: Type.Integer(),
  memory: Type.String({ description: "as written, e.g. \"512MiB\"" }),
  machine: Type.Union([Type.Literal("q35"), Type.Literal("pc"), Type.Literal("microvm")]),
  firmware: Type.Union([Type.Literal("bios"), Type.Literal("uefi")]),
  accel: Type.Union([Type.Literal("auto"), Type.Literal("kvm"), Type.Literal("tcg")]),
  boot: Type.Object({ order: Type.Array(Type.String()), kernel: Type.Optional(Type.String()), initrd: Type.Optional(Type.String()), cmdline: Type.Optional(Type.String()), datastore: Type.Optional(Type.String()) }),
  disks: Type.Record(Type.String(), Type.Object({
    file: Type.String(), datastore: Type.Optional(Type.String()), size: Type.Optional(Type.String()), sizeBytes: Type.Optional(Type.Integer()),
    bus: Type.Union([Type.Literal("virtio"), Type.Literal("sata"), Type.Literal("scsi"), Type.Literal("ide")]),
    format: Type.Union([Type.Literal("qcow2"), Type.Literal("raw")]),
    readonly: Type.Boolean(),
  })),
  cdroms: Type.Record(Type.String(), Type.Object({ iso: Type.Optional(Type.String()), datastore: Type.Optional(Type.String()), bus: Type.Union([Type.Literal("sata"), Type.Literal("ide"), Type.Literal("scsi")]) })),
  nics: Type.Record(Type.String(), Type.Object({ network: Type.String(), model: Type.Union([Type.Literal("virtio"), Type.Literal("e1000"), Type.Literal("rtl8139")]), mac: Type.String(), link: Type.Union([Type.Literal("up"), Type.Literal("down")]) })),
  console: Type.Object({ serial: Type.Boolean(), vnc: Type.Boolean() }),
  policy: Type.Object({ autostart: Type.Boolean(), on_crash: Type.Union([Type.Literal("restart"), Type.Literal("stop")]), stop_timeout: Type.Integer(), autostart_order: Type.Integer(), autostart_delay: Type.Integer(), ha: Type.Boolean(), host_tags: Type.Array(Type.String()) }),
  /** Absent: no seed is attached. hostname defaults to one made from the VM's name. */
  cloud_init: Type.Optional(Type.Object({
    hostname: Type.String(),
    users: Type.Array(Type.Object({ name: Type.String(), ssh_authorized_keys: Type.Array(Type.String()), password_hash: Type.Optional(Type.String()), sudo: Type.Boolean(), shell: Type.Optional(Type.String()) })),
    ssh_authorized_keys: Type.Array(Type.String()),
    packages: Type.Array(Type.String()),
    user_data: Type.Optional(Type.String()),
    network_config: Type.Optional(Type.String()),
  })),
});
export type VmDefinition = Static<typeof ResolvedVmDefinitionSchema>;

type Schema = TSchema;
/**
 * The JSON merge patch (RFC 7386) of a schema: every property optional, null deletes it, tables
 * patched key by key. PATCH /api/v1/vms/{name} takes one of VmDefinitionSchema.
 */
export function mergePatchSchema(schema: Schema): Schema {
  if (TypeGuard.IsObject(schema)) {
    const properties = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, Type.Optional(Type.Union([mergePatchSchema(value), Type.Null()]))]));
    return Type.Object(properties, { additionalProperties: false, ...(schema.description ? { description: schema.description } : {}) });
  }
  if (TypeGuard.IsRecord(schema)) {
    const [pattern, value] = Object.entries(schema.patternProperties)[0]!;
    return Type.Record(Type.String({ pattern }), Type.Union([mergePatchSchema(value), Type.Null()]));
  }
  const { [OptionalKind]: _optional, ...rest } = schema as Schema & { [OptionalKind]?: unknown };
  return rest as Schema;
}

export const VmDefinitionPatchSchema = Type.Unsafe<VmDefinitionPatch>(mergePatchSchema(VmDefinitionSchema));
type MergePatch<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: MergePatch<T[K]> | null } : T;
/** A merge patch of a definition: what to change; null deletes a key, a table is patched key by key. */
export type VmDefinitionPatch = MergePatch<VmDefinitionInput>;
