// The VM definition, declared once: the TOML file, the API body and the CLI all use this schema.
import { Type, type Static } from "@sinclair/typebox";

export const NAME_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,62}$";
export const SIZE_PATTERN = "^[0-9]+(\\.[0-9]+)?\\s*([KMGT]i?B?|B)?$";
export const MAC_PATTERN = "^(auto|[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5})$";
/** An RFC 4122 UUID as written: 8-4-4-4-12 lower-case hex digits. */
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description });
const Size = (description: string) => Type.String({ pattern: SIZE_PATTERN, description: `${description} (with a unit: KiB, MiB, GiB, TiB)` });
const DatastorePath = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });

export const BootSchema = Type.Object({
  order: Type.Optional(Type.Array(Name("a disk or cdrom id"), { description: "devices to boot from, in order" })),
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
  network: Type.Optional(Type.Literal("nat", { description: "host network; only user-mode \"nat\" for now" })),
  model: Type.Optional(Type.Union([Type.Literal("virtio"), Type.Literal("e1000"), Type.Literal("rtl8139")])),
  mac: Type.Optional(Type.String({ pattern: MAC_PATTERN, description: "\"auto\" or a MAC address; auto is allocated and written back" })),
}, { additionalProperties: false });

export const ConsoleSchema = Type.Object({
  serial: Type.Optional(Type.Boolean()),
  vnc: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const PolicySchema = Type.Object({
  autostart: Type.Optional(Type.Boolean({ description: "start when vmctld starts" })),
  on_crash: Type.Optional(Type.Union([Type.Literal("restart"), Type.Literal("stop")], { description: "what to do when QEMU dies unexpectedly or the guest panics" })),
  stop_timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: "seconds a graceful stop waits before forcing" })),
}, { additionalProperties: false });

export const VmDefinitionSchema = Type.Object({
  name: Name("VM name: lower case letters, digits, '-', '_' and '.'"),
  uuid: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: "the VM's identity: allocated by vmctld on create, clone and import, kept on rename and migration; per-VM grants follow it" })),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
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
}, { additionalProperties: false });

export type VmDefinitionInput = Static<typeof VmDefinitionSchema>;

/** A definition after validation, with every default filled in and sizes in bytes. */
export interface VmDefinition {
  name: string;
  /** Absent only in a definition vmctld has not written yet (older, or hand-written). */
  uuid?: string;
  description: string;
  template: boolean;
  cpus: number;
  memoryBytes: number;
  memory: string;
  machine: "q35" | "pc" | "microvm";
  firmware: "bios" | "uefi";
  accel: "auto" | "kvm" | "tcg";
  boot: { order: string[]; kernel?: string; initrd?: string; cmdline?: string; datastore?: string };
  disks: Record<string, { file: string; datastore?: string; size?: string; sizeBytes?: number; bus: "virtio" | "sata" | "scsi" | "ide"; format: "qcow2" | "raw"; readonly: boolean }>;
  cdroms: Record<string, { iso?: string; datastore?: string; bus: "sata" | "ide" | "scsi" }>;
  nics: Record<string, { network: "nat"; model: "virtio" | "e1000" | "rtl8139"; mac: string }>;
  console: { serial: boolean; vnc: boolean };
  policy: { autostart: boolean; on_crash: "restart" | "stop"; stop_timeout: number };
}
