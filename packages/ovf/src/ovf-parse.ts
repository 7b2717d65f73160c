// Reads an OVF 1.x descriptor (as VMware, VirtualBox or vmctl write it) into an ImportedVm: the
// References, DiskSection and the first VirtualSystem's hardware, names and vmctl extension.
import { OvfError } from "./errors.js";
import { attributeOf, childNamed, childrenNamed, childText, parseXml, type XmlElement } from "./xml.js";
import { NS } from "./ovf-namespaces.js";
import { ovfUnitMultiplier, scaledBytes } from "./units.js";
import { checkRelativeName, quote } from "./safe-path.js";
import { readVirtualHardware, type DiskSource } from "./ovf-hardware.js";
import type { DiskFormat, ImportedVm } from "./model.js";

/** Parses the descriptor text; throws OvfError naming the element and what is wrong. */
export function parseOvf(xml: string): ImportedVm {
  const envelope = parseXml(xml, "OVF descriptor");
  if (envelope.local !== "Envelope") throw invalid(`the root element is <${envelope.local}>, expected <Envelope>`);
  const files = readReferences(envelope);
  const disks = readDiskSection(envelope, files);
  const system = childNamed(envelope, "VirtualSystem");
  if (!system) {
    if (childNamed(envelope, "VirtualSystemCollection")) throw invalid("<VirtualSystemCollection>: packages of several VMs are not supported; export the VMs one by one");
    throw invalid("<Envelope> has no <VirtualSystem>");
  }
  const name = childText(system, "Name") || attributeOf(system, NS.ovf, "id");
  if (!name) throw invalid("<VirtualSystem> has neither a <Name> nor an ovf:id");
  const warnings: string[] = [];
  const hardwareSections = childrenNamed(system, "VirtualHardwareSection");
  const hardwareSection = hardwareSections[0];
  if (!hardwareSection) throw invalid(`<VirtualSystem> ${quote(name)} has no <VirtualHardwareSection>`);
  if (hardwareSections.length > 1) warnings.push("several VirtualHardwareSections; the first one was read");
  const hardware = readVirtualHardware(hardwareSection, disks, files, warnings);
  const description = childText(childNamed(system, "AnnotationSection") ?? system, "Annotation");
  const vmctlToml = readVmctlSection(system);
  return {
    source: "ovf",
    name,
    ...(description ? { description } : {}),
    ...hardware,
    ...(vmctlToml !== undefined ? { vmctlToml } : {}),
    warnings,
  };
}

function invalid(message: string): OvfError {
  return new OvfError("descriptor_invalid", `OVF descriptor: ${message}`);
}

interface FileRef { href: string; size?: number }

function readReferences(envelope: XmlElement): Map<string, FileRef> {
  const files = new Map<string, FileRef>();
  for (const file of childrenNamed(childNamed(envelope, "References") ?? envelope, "File")) {
    const id = attributeOf(file, NS.ovf, "id");
    const href = attributeOf(file, NS.ovf, "href");
    const where = `References/File ${quote(id ?? "")}`;
    if (!id) throw invalid(`References/File (line ${file.line}) has no ovf:id`);
    if (files.has(id)) throw invalid(`${where}: ovf:id is used twice`);
    if (!href) throw invalid(`${where} has no ovf:href`);
    if (attributeOf(file, NS.ovf, "compression")) throw invalid(`${where}: compressed files (ovf:compression) are not supported; export without compression`);
    if (attributeOf(file, NS.ovf, "chunkSize")) throw invalid(`${where}: files split in chunks (ovf:chunkSize) are not supported`);
    const checked = localHref(href);
    if (!checked.ok) throw invalid(`${where}: ovf:href ${quote(href)} ${checked.reason}; only files inside the package are read`);
    const sizeText = attributeOf(file, NS.ovf, "size");
    const size = sizeText === undefined ? undefined : scaledBytes(sizeText, 1, `${where}: ovf:size`, "descriptor_invalid");
    files.set(id, size === undefined ? { href: checked.name } : { href: checked.name, size });
  }
  return files;
}

/** A relative href, percent-decoded, that stays inside the package. */
function localHref(href: string): { ok: true; name: string } | { ok: false; reason: string } {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(href) || href.startsWith("//")) return { ok: false, reason: "is a URL" };
  let decoded: string;
  try {
    decoded = decodeURIComponent(href);
  } catch {
    return { ok: false, reason: "has a broken %-escape" };
  }
  return checkRelativeName(decoded);
}

function readDiskSection(envelope: XmlElement, files: Map<string, FileRef>): Map<string, DiskSource> {
  const disks = new Map<string, DiskSource>();
  for (const disk of childrenNamed(childNamed(envelope, "DiskSection") ?? envelope, "Disk")) {
    const diskId = attributeOf(disk, NS.ovf, "diskId");
    if (!diskId) throw invalid(`DiskSection/Disk (line ${disk.line}) has no ovf:diskId`);
    const where = `DiskSection/Disk ${quote(diskId)}`;
    if (disks.has(diskId)) throw invalid(`${where}: ovf:diskId is used twice`);
    const capacity = attributeOf(disk, NS.ovf, "capacity");
    if (capacity?.trim().startsWith("${")) throw invalid(`${where}: ovf:capacity ${quote(capacity)} refers to a property; give the size in the descriptor`);
    const unitsText = attributeOf(disk, NS.ovf, "capacityAllocationUnits") ?? "byte";
    const multiplier = ovfUnitMultiplier(unitsText);
    if (multiplier === null) throw invalid(`${where}: ovf:capacityAllocationUnits ${quote(unitsText)} is not a byte unit such as "byte * 2^30"`);
    const capacityBytes = scaledBytes(capacity, multiplier, `OVF descriptor: ${where}: ovf:capacity`, "descriptor_invalid");
    const fileRef = attributeOf(disk, NS.ovf, "fileRef");
    let file: FileRef | undefined;
    if (fileRef) {
      file = files.get(fileRef);
      if (!file) throw invalid(`${where}: ovf:fileRef ${quote(fileRef)} names no References/File`);
    }
    const format = diskFormat(attributeOf(disk, NS.ovf, "format"), file?.href);
    disks.set(diskId, { diskId, capacityBytes, format, ...(file ? { fileHref: file.href, ...(file.size !== undefined ? { fileSizeBytes: file.size } : {}) } : {}) });
  }
  return disks;
}

/** Maps ovf:format URLs (VMware's vmdk.html#…, the qcow spec page, …) to a format, the file name as a fallback. */
export function diskFormat(url: string | undefined, href: string | undefined): DiskFormat {
  const text = (url ?? "").toLowerCase();
  if (text.includes("vmdk")) {
    const fragment = text.split("#")[1] ?? "";
    if (fragment === "streamoptimized" || fragment === "compressed") return "vmdk-stream";
    if (fragment.includes("flat")) return "vmdk-flat";
    return "vmdk";
  }
  if (text.includes("qcow")) return "qcow2";
  if (/\braw\b/.test(text) || text.endsWith("/wiki/byte")) return "raw";
  if (text === "" && href) {
    if (/\.vmdk$/i.test(href)) return "vmdk";
    if (/\.qcow2?$/i.test(href)) return "qcow2";
    if (/\.(raw|img)$/i.test(href)) return "raw";
  }
  return "unknown";
}

/** The TOML of a vmctl export: <vmctl:Definition><vmctl:Toml>…</vmctl:Toml></vmctl:Definition>. */
function readVmctlSection(system: XmlElement): string | undefined {
  const section = system.children.find((child) => child.uri === NS.vmctl && child.local === "Definition");
  if (!section) return undefined;
  const toml = section.children.find((child) => child.uri === NS.vmctl && child.local === "Toml");
  if (!toml) throw invalid("<vmctl:Definition> has no <vmctl:Toml>");
  return toml.text;
}
