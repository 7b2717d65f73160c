// Reads a libvirt domain XML (virsh dumpxml) of a QEMU/KVM guest into an ImportedVm, with the
// absolute host paths of its disks, ISOs, kernel and initrd.
import { posix } from "node:path";
import { OvfError } from "./errors.js";
import { attributeOf, childNamed, childrenNamed, childText, parseXml, type XmlElement } from "./xml.js";
import { libvirtUnitMultiplier, scaledBytes } from "./units.js";
import { quote } from "./safe-path.js";
import { deviceId, normalizeMac, type CdromBus, type DiskBus, type DiskFormat, type ImportedCdrom, type ImportedDisk, type ImportedNic, type ImportedVm, type NicModel } from "./model.js";

const FORMATS: Record<string, DiskFormat> = { raw: "raw", qcow2: "qcow2", vmdk: "vmdk" };
const DISK_BUSES: Record<string, DiskBus> = { virtio: "virtio", sata: "sata", scsi: "scsi", ide: "ide" };
const NIC_MODELS: Record<string, NicModel> = { virtio: "virtio", "virtio-transitional": "virtio", "virtio-non-transitional": "virtio", e1000: "e1000", e1000e: "e1000", rtl8139: "rtl8139" };

function invalid(message: string): OvfError {
  return new OvfError("domain_invalid", `libvirt domain: ${message}`);
}

export function parseLibvirtDomain(xml: string): ImportedVm {
  const domain = parseXml(xml, "libvirt domain XML");
  if (domain.local !== "domain") throw invalid(`the root element is <${domain.local}>, expected <domain>`);
  const type = attributeOf(domain, "", "type") ?? "";
  if (type !== "kvm" && type !== "qemu") throw invalid(`<domain type=${quote(type)}> is not a QEMU/KVM domain`);
  const name = childText(domain, "name");
  if (!name) throw invalid("<name> is missing");
  const warnings: string[] = [];
  const memoryBytes = memoryOf(domain);
  const vcpuText = childText(domain, "vcpu");
  const cpus = vcpuText === undefined ? 1 : scaledBytes(vcpuText, 1, "libvirt domain: <vcpu>", "domain_invalid");
  if (cpus < 1 || cpus > 256) throw invalid(`<vcpu> ${cpus} is outside 1 to 256`);
  const os = childNamed(domain, "os");
  const boot = os ? bootOf(os) : {};
  const description = childText(domain, "description");
  const devices = childNamed(domain, "devices");
  const storage = devices ? storageOf(devices, warnings) : { disks: [], cdroms: [] };
  return {
    source: "libvirt",
    name,
    ...(description ? { description } : {}),
    cpus,
    memoryBytes,
    firmware: os && isUefi(os) ? "uefi" : "bios",
    ...machineOf(os, warnings),
    ...(Object.keys(boot).length > 0 ? { boot } : {}),
    ...storage,
    nics: devices ? nicsOf(devices, warnings) : [],
    warnings,
  };
}

function memoryOf(domain: XmlElement): number {
  const memory = childNamed(domain, "memory");
  if (!memory) throw invalid("<memory> is missing");
  const unit = attributeOf(memory, "", "unit") ?? "KiB";
  const multiplier = libvirtUnitMultiplier(unit);
  if (multiplier === null) throw invalid(`<memory unit=${quote(unit)}> is not a unit such as "KiB" or "GiB"`);
  return scaledBytes(memory.text.trim(), multiplier, "libvirt domain: <memory>", "domain_invalid");
}

function machineOf(os: XmlElement | undefined, warnings: string[]): { machine?: "q35" | "pc" | "microvm" } {
  const machine = os ? attributeOf(childNamed(os, "type") ?? os, "", "machine") : undefined;
  if (machine === undefined) return {};
  if (machine === "q35" || machine.startsWith("pc-q35")) return { machine: "q35" };
  if (machine === "pc" || machine.startsWith("pc-i440fx")) return { machine: "pc" };
  if (machine === "microvm") return { machine: "microvm" };
  warnings.push(`<os><type machine=${quote(machine)}> is not known to vmctl; the default machine is used`);
  return {};
}

function isUefi(os: XmlElement): boolean {
  if (attributeOf(os, "", "firmware") === "efi") return true;
  const loader = childNamed(os, "loader");
  if (!loader) return false;
  return attributeOf(loader, "", "type") === "pflash" || /ovmf|edk2|efi/i.test(loader.text);
}

function absolutePath(path: string, where: string): string {
  if (path.includes("\0")) throw invalid(`${where} contains a NUL byte`);
  if (!path.startsWith("/")) throw invalid(`${where} ${quote(path)} is not an absolute path`);
  return posix.normalize(path);
}

function bootOf(os: XmlElement): { kernel?: string; initrd?: string; cmdline?: string } {
  const kernel = childText(os, "kernel");
  const initrd = childText(os, "initrd");
  const cmdline = childText(os, "cmdline");
  return {
    ...(kernel ? { kernel: absolutePath(kernel, "<os><kernel>") } : {}),
    ...(initrd ? { initrd: absolutePath(initrd, "<os><initrd>") } : {}),
    ...(cmdline ? { cmdline } : {}),
  };
}

function storageOf(devices: XmlElement, warnings: string[]): { disks: ImportedDisk[]; cdroms: ImportedCdrom[] } {
  const disks: ImportedDisk[] = [];
  const cdroms: ImportedCdrom[] = [];
  const ids = new Set<string>();
  for (const [index, disk] of childrenNamed(devices, "disk").entries()) {
    const device = attributeOf(disk, "", "device") ?? "disk";
    const target = childNamed(disk, "target");
    const dev = target ? attributeOf(target, "", "dev") : undefined;
    const where = `<disk> ${quote(dev ?? String(index + 1))}`;
    const busText = (target ? attributeOf(target, "", "bus") : undefined) ?? "";
    let bus = DISK_BUSES[busText];
    if (!bus) {
      warnings.push(`${where}: bus ${quote(busText)} is not known to vmctl; attached to SATA`);
      bus = "sata";
    }
    const file = sourcePath(disk, where);
    if (device === "cdrom") {
      cdroms.push({ id: deviceId(dev, "cdrom", ids), bus: bus === "virtio" ? "sata" : bus as CdromBus, ...(file ? { fileHref: file } : {}) });
      continue;
    }
    if (device !== "disk") {
      warnings.push(`${where}: device ${quote(device)} not imported`);
      continue;
    }
    if (!file) throw invalid(`${where} has no source file; only file and block disks can be imported`);
    const driver = childNamed(disk, "driver");
    const formatText = driver ? attributeOf(driver, "", "type") ?? "raw" : "raw";
    disks.push({
      id: deviceId(dev, "disk", ids),
      fileHref: file,
      // libvirt does not record the virtual size; the importer reads it from the image (qemu-img info).
      capacityBytes: 0,
      format: FORMATS[formatText] ?? "unknown",
      bus,
      ...(childNamed(disk, "readonly") ? { readonly: true } : {}),
    });
  }
  return { disks, cdroms };
}

function sourcePath(disk: XmlElement, where: string): string | undefined {
  const type = attributeOf(disk, "", "type") ?? "file";
  const source = childNamed(disk, "source");
  if (!source) return undefined;
  if (type === "file") {
    const file = attributeOf(source, "", "file");
    return file === undefined ? undefined : absolutePath(file, `${where} <source file>`);
  }
  if (type === "block") {
    const dev = attributeOf(source, "", "dev");
    return dev === undefined ? undefined : absolutePath(dev, `${where} <source dev>`);
  }
  throw invalid(`${where}: disks of type ${quote(type)} (network or pool storage) cannot be imported; copy the image to a file first`);
}

function nicsOf(devices: XmlElement, warnings: string[]): ImportedNic[] {
  const ids = new Set<string>();
  return childrenNamed(devices, "interface").map((nic, index) => {
    const where = `<interface> ${index + 1}`;
    const modelElement = childNamed(nic, "model");
    const modelText = modelElement ? attributeOf(modelElement, "", "type") ?? "" : "";
    let model = NIC_MODELS[modelText];
    if (!model) {
      // Without a <model>, QEMU's default for x86 (and libvirt's) is an rtl8139.
      if (modelText) warnings.push(`${where}: model ${quote(modelText)} is not known to vmctl; it becomes an e1000`);
      model = modelText ? "e1000" : "rtl8139";
    }
    const macElement = childNamed(nic, "mac");
    const address = macElement ? attributeOf(macElement, "", "address") : undefined;
    const mac = normalizeMac(address);
    if (address && !mac) warnings.push(`${where}: <mac address=${quote(address)}> is not a MAC address; one will be allocated`);
    const alias = childNamed(nic, "alias");
    return { id: deviceId(alias ? attributeOf(alias, "", "name") : undefined, "net", ids), model, ...(mac ? { mac } : {}) };
  });
}
