// The shape every importer produces (OVF descriptor or libvirt domain), so one code path turns an
// imported VM into a vmctl definition whatever it came from.
import { NAME_PATTERN } from "@vmctl/api-types";

export type DiskFormat = "vmdk-stream" | "vmdk-flat" | "vmdk" | "raw" | "qcow2" | "unknown";
export type DiskBus = "scsi" | "sata" | "ide" | "virtio";
export type CdromBus = "scsi" | "sata" | "ide";
export type NicModel = "virtio" | "e1000" | "rtl8139";

export interface ImportedDisk {
  /** A valid vmctl device id (the OVF diskId or libvirt target dev when they qualify). */
  id: string;
  /**
   * OVF: the file's href, relative to the descriptor's folder and already checked not to leave it.
   * libvirt: the absolute source path. Absent for an OVF disk without a file (a blank disk to create).
   */
  fileHref?: string;
  /** Virtual size; 0 when the source does not record it (libvirt: read it from the image). */
  capacityBytes: number;
  format: DiskFormat;
  bus: DiskBus;
  /** OVF References/File ovf:size, when given: the size of the file in the package. */
  fileSizeBytes?: number;
  readonly?: boolean;
}

export interface ImportedCdrom {
  id: string;
  bus: CdromBus;
  /** An ISO in the package (OVF href) or on the host (libvirt absolute path); absent means empty. */
  fileHref?: string;
}

export interface ImportedNic {
  id: string;
  model: NicModel;
  /** Lower-case colon-separated MAC, when the source fixes one. */
  mac?: string;
}

export interface ImportedVm {
  source: "ovf" | "libvirt";
  name: string;
  description?: string;
  cpus: number;
  memoryBytes: number;
  firmware: "bios" | "uefi";
  machine?: "q35" | "pc" | "microvm";
  boot?: { kernel?: string; initrd?: string; cmdline?: string };
  disks: ImportedDisk[];
  cdroms: ImportedCdrom[];
  nics: ImportedNic[];
  /** The vmctl definition an export by vmctl carried: the whole truth for a vmctl→vmctl round trip. */
  vmctlToml?: string;
  /** Things read but not carried over (a floppy, an unknown NIC type mapped to e1000, …). */
  warnings: string[];
}

/** Device ids follow the definition's name rule (disks, cdroms and nics are keyed by NAME_PATTERN). */
const DEVICE_ID = new RegExp(NAME_PATTERN);

/** Picks `preferred` when it is a valid, unused vmctl id, else `fallback<n>`; records the choice in `used`. */
export function deviceId(preferred: string | undefined, fallback: string, used: Set<string>): string {
  const candidate = preferred?.trim();
  if (candidate !== undefined && DEVICE_ID.test(candidate) && !used.has(candidate)) {
    used.add(candidate);
    return candidate;
  }
  for (let n = 0; ; n++) {
    const id = `${fallback}${n}`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Normalizes a MAC ("00-50-56-AB-CD-EF" or "00:50:56:ab:cd:ef") to lower-case colons, or undefined. */
export function normalizeMac(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const hex = text.trim().toLowerCase().split(/[:-]/);
  if (hex.length !== 6 || !hex.every((part) => /^[0-9a-f]{2}$/.test(part))) return undefined;
  return hex.join(":");
}
