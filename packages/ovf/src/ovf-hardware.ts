// The VirtualHardwareSection of an OVF descriptor: CIM Items (CPU, memory, controllers, disks, CD
// drives, NICs) tied together by InstanceID and Parent, and VMware's firmware setting.
import { OvfError } from "./errors.js";
import { attributeOf, childText, type XmlElement } from "./xml.js";
import { NS, RESOURCE } from "./ovf-namespaces.js";
import { ovfUnitMultiplier, scaledBytes } from "./units.js";
import { quote } from "./safe-path.js";
import { deviceId, normalizeMac, type CdromBus, type DiskFormat, type ImportedCdrom, type ImportedDisk, type ImportedNic, type NicModel } from "./model.js";

export interface DiskSource { diskId: string; capacityBytes: number; format: DiskFormat; fileHref?: string; fileSizeBytes?: number }

export interface VirtualHardware {
  cpus: number;
  memoryBytes: number;
  firmware: "bios" | "uefi";
  disks: ImportedDisk[];
  cdroms: ImportedCdrom[];
  nics: ImportedNic[];
}

interface Item { element: XmlElement; instanceId: string; type: number; where: string }

const ITEM_NAMES = new Set(["Item", "StorageItem", "EthernetPortItem"]);
const SILENTLY_IGNORED = new Set<number>([RESOURCE.usbController, RESOURCE.graphics, RESOURCE.sound, RESOURCE.other]);

const NIC_MODELS: Record<string, NicModel> = {
  e1000: "e1000", e1000e: "e1000",
  vmxnet: "virtio", vmxnet2: "virtio", vmxnet3: "virtio", virtio: "virtio", "virtio-net": "virtio", virtionet: "virtio",
  rtl8139: "rtl8139",
};

function invalid(message: string): OvfError {
  return new OvfError("descriptor_invalid", `OVF descriptor: ${message}`);
}

export function readVirtualHardware(section: XmlElement, disks: Map<string, DiskSource>, files: Map<string, { href: string }>, warnings: string[]): VirtualHardware {
  const items = readItems(section);
  const controllers = new Map<string, CdromBus>();
  for (const item of items) {
    const bus = controllerBus(item, warnings);
    if (bus) controllers.set(item.instanceId, bus);
  }
  const busOf = (item: Item): CdromBus => {
    const parent = childText(item.element, "Parent");
    if (!parent) {
      warnings.push(`${item.where} has no rasd:Parent controller; attached to SATA`);
      return "sata";
    }
    const bus = controllers.get(parent);
    if (!bus) throw invalid(`${item.where}: rasd:Parent ${quote(parent)} is not the InstanceID of a disk controller`);
    return bus;
  };

  let cpus: number | undefined;
  let memoryBytes: number | undefined;
  const result: VirtualHardware = { cpus: 1, memoryBytes: 0, firmware: firmwareOf(section), disks: [], cdroms: [], nics: [] };
  const storageIds = new Set<string>();
  const nicIds = new Set<string>();
  const attached = new Set<string>();
  for (const item of items) {
    const quantity = childText(item.element, "VirtualQuantity");
    switch (item.type) {
      case RESOURCE.cpu: {
        if (cpus !== undefined) throw invalid(`${item.where}: a second CPU Item`);
        cpus = scaledBytes(quantity, 1, `OVF descriptor: ${item.where}: rasd:VirtualQuantity`, "descriptor_invalid");
        if (cpus < 1 || cpus > 256) throw invalid(`${item.where}: rasd:VirtualQuantity ${cpus} CPUs is outside 1 to 256`);
        break;
      }
      case RESOURCE.memory: {
        if (memoryBytes !== undefined) throw invalid(`${item.where}: a second memory Item`);
        // VMware's exports always give the units; OVF tools that omit them mean MiB.
        const units = childText(item.element, "AllocationUnits") || "byte * 2^20";
        const multiplier = ovfUnitMultiplier(units);
        if (multiplier === null) throw invalid(`${item.where}: rasd:AllocationUnits ${quote(units)} is not a byte unit such as "byte * 2^20"`);
        memoryBytes = scaledBytes(quantity, multiplier, `OVF descriptor: ${item.where}: rasd:VirtualQuantity`, "descriptor_invalid");
        break;
      }
      case RESOURCE.disk: {
        const resource = childText(item.element, "HostResource") ?? "";
        const diskId = /^(?:ovf:)?\/+disk\/(.+)$/.exec(resource)?.[1];
        if (!diskId) throw invalid(`${item.where}: rasd:HostResource ${quote(resource)} does not name a disk ("ovf:/disk/<diskId>")`);
        const source = disks.get(diskId);
        if (!source) throw invalid(`${item.where}: rasd:HostResource ${quote(resource)} names no DiskSection/Disk`);
        if (attached.has(diskId)) throw invalid(`${item.where}: disk ${quote(diskId)} is attached twice`);
        attached.add(diskId);
        const { diskId: _unused, ...rest } = source;
        result.disks.push({ id: deviceId(diskId, "disk", storageIds), ...rest, bus: busOf(item) });
        break;
      }
      case RESOURCE.cdDrive:
      case RESOURCE.dvdDrive: {
        const resource = childText(item.element, "HostResource") ?? "";
        const fileId = /^(?:ovf:)?\/+file\/(.+)$/.exec(resource)?.[1];
        const file = fileId === undefined ? undefined : files.get(fileId);
        if (fileId !== undefined && !file) throw invalid(`${item.where}: rasd:HostResource ${quote(resource)} names no References/File`);
        const id = deviceId(childText(item.element, "ElementName"), "cdrom", storageIds);
        result.cdroms.push({ id, bus: busOf(item), ...(file ? { fileHref: file.href } : {}) });
        break;
      }
      case RESOURCE.ethernet: {
        const subtype = childText(item.element, "ResourceSubType") ?? "";
        let model = NIC_MODELS[subtype.toLowerCase()];
        if (!model) {
          warnings.push(`${item.where}: network adapter type ${quote(subtype)} is not known; it becomes an e1000`);
          model = "e1000";
        }
        const address = childText(item.element, "Address");
        const mac = normalizeMac(address);
        if (address && !mac) warnings.push(`${item.where}: rasd:Address ${quote(address)} is not a MAC address; one will be allocated`);
        result.nics.push({ id: deviceId(childText(item.element, "ElementName"), "nic", nicIds), model, ...(mac ? { mac } : {}) });
        break;
      }
      case RESOURCE.floppy:
      case RESOURCE.serialPort:
        warnings.push(`${item.where}: ${item.type === RESOURCE.floppy ? "floppy drive" : "serial port"} not imported`);
        break;
      default:
        if (!controllers.has(item.instanceId) && !SILENTLY_IGNORED.has(item.type)) warnings.push(`${item.where}: ResourceType ${item.type} is not imported`);
    }
  }
  if (memoryBytes === undefined) throw invalid("<VirtualHardwareSection> has no memory Item (rasd:ResourceType 4)");
  if (cpus === undefined) warnings.push("no CPU Item (rasd:ResourceType 3); the VM gets 1 CPU");
  for (const diskId of disks.keys()) if (!attached.has(diskId)) warnings.push(`DiskSection/Disk ${quote(diskId)} is attached to no controller; not imported`);
  return { ...result, cpus: cpus ?? 1, memoryBytes };
}

function readItems(section: XmlElement): Item[] {
  const items: Item[] = [];
  const seen = new Set<string>();
  for (const element of section.children.filter((child) => ITEM_NAMES.has(child.local))) {
    const instanceId = childText(element, "InstanceID");
    if (!instanceId) throw invalid(`<${element.local}> at line ${element.line} has no rasd:InstanceID`);
    const where = `<${element.local}> ${quote(childText(element, "ElementName") || instanceId)}`;
    if (seen.has(instanceId)) throw invalid(`${where}: rasd:InstanceID ${quote(instanceId)} is used twice`);
    seen.add(instanceId);
    const typeText = childText(element, "ResourceType");
    if (!typeText || !/^\d+$/.test(typeText)) throw invalid(`${where}: rasd:ResourceType ${typeText ? quote(typeText) : "is missing"}${typeText ? " is not a number" : ""}`);
    items.push({ element, instanceId, type: Number(typeText), where });
  }
  return items;
}

/** The bus of a disk controller Item, or undefined for any other Item. */
function controllerBus(item: Item, warnings: string[]): CdromBus | undefined {
  const subtype = (childText(item.element, "ResourceSubType") ?? "").toLowerCase();
  switch (item.type) {
    case RESOURCE.ideController: return "ide";
    // vmctl's SCSI bus is virtio-scsi: LSI Logic, PVSCSI and BusLogic guests need its driver.
    case RESOURCE.scsiController: return "scsi";
    case RESOURCE.sataController: return "sata";
    case RESOURCE.other:
      if (subtype.includes("nvme")) {
        warnings.push(`${item.where}: NVMe controller; its disks are attached to SATA`);
        return "sata";
      }
      if (subtype.includes("sata") || subtype.includes("ahci")) return "sata";
      return undefined;
    default: return undefined;
  }
}

/** VMware: <vmw:Config vmw:key="firmware" vmw:value="efi"/> (or a firmware attribute on vmw:Config). */
function firmwareOf(section: XmlElement): "bios" | "uefi" {
  for (const config of section.children.filter((child) => child.uri === NS.vmw && child.local === "Config")) {
    const key = attributeOf(config, NS.vmw, "key");
    const value = key === "firmware" ? attributeOf(config, NS.vmw, "value") : attributeOf(config, NS.vmw, "firmware");
    if (value?.toLowerCase() === "efi") return "uefi";
  }
  return "bios";
}
