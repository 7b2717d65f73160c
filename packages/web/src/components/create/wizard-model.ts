// What the Create VM wizard holds, as plain data: the choices, the definition they make for
// POST /api/v1/vms, the checks shown before anything is sent, and the review said in words.
// No React here, so the rules can be read (and tested) on their own.
import type { Network } from "@vmctl/api-types";
import { cloudInitTable, keyInWords, type CloudInit } from "../../api/cloud-init";
import type { IsoRef } from "../../api/vm-storage";

/** What the new VM starts from: a new definition, a template (deployed by the clone API), or a package to import. */
export type StartFrom = "new" | "template" | "import";
/** What a new VM boots: a new empty disk, an ISO, a disk image already in a datastore or uploaded now, or a kernel. */
export type BootSource = "disk" | "iso" | "image" | "upload" | "kernel";
export type Bus = "virtio" | "sata" | "scsi" | "ide";
export type NicModel = "virtio" | "e1000" | "rtl8139";

export interface NicChoice { network: string; model: NicModel }
export interface KernelChoice { datastore: string; kernel: string; initrd: string; cmdline: string }

export interface WizardState {
  startFrom: StartFrom;
  name: string;
  cpus: number;
  memory: string;
  machine: "q35" | "pc";
  firmware: "bios" | "uefi";
  /** The VM's datastore (its folder, new disks); "" for the host's default. */
  datastore: string;
  boot: BootSource;
  /** Size of the new disk; "" for none. */
  disk: string;
  bus: Bus;
  iso: IsoRef | null;
  /** The disk image of a datastore (boot "image"). */
  image: IsoRef | null;
  /** "in-place": the VM's disk is that file; "copy": a copy in the VM's own folder. */
  imageUse: "in-place" | "copy";
  /** The file of this computer (boot "upload"), copied into the VM's folder. */
  upload: File | null;
  kernel: KernelChoice;
  nics: NicChoice[];
  serial: boolean;
  vnc: boolean;
  cloud: CloudInit;
  start: boolean;
  template: string;
  linked: boolean;
}

export const initialState = (): WizardState => ({
  startFrom: "new", name: "", cpus: 1, memory: "512MiB", machine: "q35", firmware: "bios", datastore: "",
  boot: "disk", disk: "10GiB", bus: "virtio", iso: null, image: null, imageUse: "copy", upload: null,
  kernel: { datastore: "local", kernel: "", initrd: "", cmdline: "console=ttyS0" },
  nics: [{ network: "default", model: "virtio" }], serial: true, vnc: true,
  cloud: { hostname: "", user: "", key: "", passwordHash: "", sudo: true }, start: true, template: "", linked: true,
});

/** Disk images the picker offers. */
export const DISK_IMAGE = /\.(qcow2|img|raw)$/i;
export const formatOf = (file: string): "qcow2" | "raw" => (/\.qcow2$/i.test(file) ? "qcow2" : "raw");

/** Where a copied or uploaded image goes: the VM's own folder, so deleting the VM removes it. */
export const copiedDiskPath = (s: WizardState): string | null => {
  const source = s.boot === "upload" ? s.upload?.name : s.boot === "image" && s.imageUse === "copy" ? s.image?.path : undefined;
  return source ? `${s.name}/disk0.${formatOf(source) === "qcow2" ? "qcow2" : "img"}` : null;
};

/** The definition POST /api/v1/vms gets (a copied disk is added once its file is there). */
export function buildDefinition(s: WizardState): Record<string, unknown> {
  const newDisk = (s.boot === "disk" || s.boot === "iso" || s.boot === "kernel") && s.disk.trim();
  const inPlace = s.boot === "image" && s.imageUse === "in-place" && s.image;
  const disks = newDisk ? { disk0: { size: s.disk.trim(), ...(s.bus !== "virtio" ? { bus: s.bus } : {}) } }
    : inPlace ? { disk0: { file: s.image!.path, datastore: s.image!.datastore, ...(s.bus !== "virtio" ? { bus: s.bus } : {}) } } : null;
  const cloud = cloudInitTable(s.cloud);
  return {
    name: s.name, cpus: s.cpus, memory: s.memory.trim(),
    ...(s.machine !== "q35" ? { machine: s.machine } : {}),
    ...(s.firmware !== "bios" ? { firmware: s.firmware } : {}),
    ...(disks ? { disks } : {}),
    ...(s.boot === "iso" ? { cdroms: { cdrom0: s.iso ? { iso: s.iso.path, datastore: s.iso.datastore } : {} }, boot: { order: ["cdrom0", ...(disks ? ["disk0"] : [])] } } : {}),
    ...(s.boot === "kernel" ? { boot: { datastore: s.kernel.datastore.trim(), kernel: s.kernel.kernel.trim(), ...(s.kernel.initrd.trim() ? { initrd: s.kernel.initrd.trim() } : {}), ...(s.kernel.cmdline ? { cmdline: s.kernel.cmdline } : {}) } } : {}),
    ...(s.nics.length ? { nics: Object.fromEntries(s.nics.map((n, i) => [`net${i}`, { network: n.network, model: n.model, mac: "auto" }])) } : {}),
    console: { serial: s.serial, vnc: s.vnc },
    ...(cloud ? { cloud_init: cloud } : {}),
  };
}

export interface Issue { field: string; message: string }

const NAME_RULE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const SIZE_RULE = /^[0-9]+(\.[0-9]+)?\s*([KMGT]i?B?|B)?$/;

/**
 * What is wrong before anything is sent, by field (the same fields vmctld names). They are shown
 * only once the field was left or its step's Next (or Create) was pressed; vmctld has the last word.
 */
export function checkState(s: WizardState): Issue[] {
  const issues: Issue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  if (!s.name) add("name", "Give the VM a name.");
  else if (!NAME_RULE.test(s.name)) add("name", "Lower-case letters, digits, - _ and ., starting with a letter or digit (at most 63).");
  if (s.startFrom === "template") {
    if (!s.template) add("template", "Choose the template to deploy.");
    return issues;
  }
  if (!SIZE_RULE.test(s.memory.trim())) add("memory", `is "${s.memory}"; expected a size with a unit, e.g. "512MiB" or "2GiB"`);
  if ((s.boot === "disk" || s.boot === "iso" || s.boot === "kernel") && s.disk.trim() && !SIZE_RULE.test(s.disk.trim())) add("disks", `is "${s.disk}"; expected a size with a unit, e.g. "20GiB" (or empty for no disk)`);
  if (s.boot === "image" && !s.image) add("disks", "Choose the disk image in a datastore.");
  if (s.boot === "upload" && !s.upload) add("disks", "Choose the disk image file to upload.");
  if (s.boot === "kernel" && !s.kernel.kernel.trim()) add("boot.kernel", "Give the kernel's path in its datastore, or choose it with Browse.");
  if (s.boot === "kernel" && !s.kernel.datastore.trim()) add("boot.datastore", "Give the datastore holding the kernel.");
  return issues;
}

/** Which step shows a field (vmctld's refusals and the checks above jump there). */
export const stepOfField = (field: string): string => (
  field.startsWith("disks") || field.startsWith("boot") || field.startsWith("cdroms") ? "storage"
    : field.startsWith("nics") || field.startsWith("console") || field.startsWith("cloud_init") ? "network"
      : "general");

/** "2GiB" → "2 GiB"; anything else as typed. */
const spaced = (size: string) => size.trim().replace(/^([0-9.]+)\s*([A-Za-z]+)$/, "$1 $2");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const baseName = (path: string) => path.split("/").pop() ?? path;
const networkInWords = (name: string, networks: Network[] | undefined, kind: (n: Network) => string) => {
  const found = networks?.find((x) => x.name === name);
  return found ? `${name} (${kind(found)})` : name;
};

/** What the first boot gets, in words ("" for no seed). */
export function cloudInWords(cloud: CloudInit): string {
  if (!cloudInitTable(cloud)) return "";
  const keys = cloud.key.split("\n").map((k) => k.trim()).filter(Boolean);
  const user = cloud.user.trim();
  const who = user
    ? `; user ${user}${keys.length ? ` who logs in with ${keys.map(keyInWords).join(", ")}` : ""}${cloud.passwordHash.trim() ? ", with a password (hash given)" : ", password locked"}${cloud.sudo ? ", may sudo" : ""}`
    : keys.length ? `; the image's default user logs in with ${keys.map(keyInWords).join(", ")}` : "";
  return `host name ${cloud.hostname.trim() || "from the VM's name"}${who}`;
}

/**
 * The review: the VM to be made in sentences, e.g. "web01: 2 CPUs, 2 GiB memory, q35 with BIOS;
 * a new 20 GiB virtio disk on datastore local; boots from the ISO debian-12.iso; …".
 */
export function reviewSentences(s: WizardState, ctx: { defaultDatastore: string; networks: Network[] | undefined; kind: (n: Network) => string }): string[] {
  const name = s.name || "(no name yet)";
  const datastore = s.datastore || ctx.defaultDatastore;
  const starts = s.start ? "starts once created" : "stays stopped once created";
  if (s.startFrom === "template") {
    return [`${name}: ${s.linked ? "a linked clone" : "a full copy"} of the template ${s.template || "(none chosen)"}, with its CPUs, memory, disks and network adapters, ${s.datastore ? `in datastore ${s.datastore}` : "in the template's datastore"}; ${starts}.`,
      s.linked ? "A linked clone is made at once: it reads the template's disks and writes its changes to its own overlay." : "A full copy owns its disks: copying them runs as a task."];
  }
  const hardware = `${name}: ${plural(s.cpus, "CPU")}, ${spaced(s.memory)} memory, ${s.machine} with ${s.firmware === "uefi" ? "UEFI" : "BIOS"}`;
  const newDisk = (s.boot === "disk" || s.boot === "iso" || s.boot === "kernel") && s.disk.trim();
  const disk = newDisk ? `a new ${spaced(s.disk)} ${s.bus} disk on datastore ${datastore}`
    : s.boot === "image" ? (s.image ? (s.imageUse === "copy" ? `a ${s.bus} disk copied from ${s.image.path} (datastore ${s.image.datastore}) into its folder on datastore ${datastore}` : `the disk image ${s.image.path} on datastore ${s.image.datastore} as its ${s.bus} disk, used in place`) : "a disk image not chosen yet")
      : s.boot === "upload" ? (s.upload ? `a ${s.bus} disk uploaded from ${s.upload.name} into its folder on datastore ${datastore}` : "a disk image to upload, not chosen yet")
        : "no disk";
  const boot = s.boot === "iso" ? (s.iso ? `boots from the ISO ${baseName(s.iso.path)}` : "an empty CD drive (boots from the disk)")
    : s.boot === "kernel" ? `boots the kernel ${s.kernel.kernel || "(not given)"}${s.kernel.initrd ? ` with ${s.kernel.initrd}` : ""} from datastore ${s.kernel.datastore}`
      : s.boot === "disk" ? (newDisk ? "boots from the disk (empty: install over the network or add an ISO later)" : "nothing to boot yet")
        : "boots from that disk";
  const nics = s.nics.length
    ? s.nics.map((n, i) => `NIC net${i} on ${networkInWords(n.network, ctx.networks, ctx.kind)}${n.model !== "virtio" ? `, ${n.model}` : ""}`).join("; ")
    : "no network adapter (offline)";
  const consoles = [s.serial ? "serial" : "", s.vnc ? "graphical" : ""].filter(Boolean);
  const consoleWords = consoles.length ? `${consoles.join(" and ")} console${consoles.length > 1 ? "s" : ""}` : "no console";
  const cloud = cloudInWords(s.cloud);
  return [
    `${hardware}; ${disk}; ${boot}; ${nics}; ${consoleWords}; ${starts}.`,
    cloud ? `First boot (cloud-init): ${cloud}.` : "No first-boot settings (no cloud-init seed).",
  ];
}
