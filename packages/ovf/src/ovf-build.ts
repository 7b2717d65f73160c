// Writes a VMware-style OVF 1.0 descriptor for a vmctl VM: stream-optimized VMDK references, the
// controllers and Items VMware expects, and the vmctl definition itself in a non-required section
// so that vmctl reading its own export gets back kernel boot, policy and everything else.
import type { VmDefinition } from "@vmctl/api-types";
import { escapeXml as x } from "./xml.js";
import { NS, RESOURCE, VMDK_STREAM_OPTIMIZED } from "./ovf-namespaces.js";
import { normalFormProblem, quote } from "./safe-path.js";
import { allocateControllers, type ControllerPlan } from "./ovf-controllers.js";

export interface ExportedDisk {
  /** The vmctl disk id: it becomes the ovf:diskId. */
  id: string;
  /** The file's name inside the OVA, e.g. "web01-disk0.vmdk". */
  href: string;
  /** Size of the stream-optimized VMDK file. */
  fileSizeBytes: number;
  /** Virtual size the guest sees. */
  capacityBytes: number;
  populatedSizeBytes?: number;
}

export interface BuildOvfInput {
  definition: VmDefinition;
  disks: ExportedDisk[];
  /** The VM's definition file as written: kept verbatim in the <vmctl:Definition> section. */
  definitionToml?: string;
}

type Fields = Record<string, string | number | boolean | undefined>;

/** rasd (and vssd) elements must come in the CIM schema's alphabetical order. */
function fields(prefix: "rasd" | "vssd", values: Fields, indent: string): string {
  return Object.keys(values)
    .filter((key) => values[key] !== undefined)
    .sort()
    .map((key) => `${indent}<${prefix}:${key}>${x(String(values[key]))}</${prefix}:${key}>`)
    .join("\n");
}

function item(values: Fields): string {
  return `      <Item>\n${fields("rasd", values, "        ")}\n      </Item>`;
}

/** The largest DMTF byte unit that divides `bytes` exactly. */
function inUnits(bytes: number, shifts: readonly number[]): { quantity: number; units: string } {
  for (const shift of shifts) {
    if (bytes % 2 ** shift === 0) return { quantity: bytes / 2 ** shift, units: `byte * 2^${shift}` };
  }
  return { quantity: bytes, units: "byte" };
}

const NIC_SUBTYPES = { virtio: "VmxNet3", e1000: "E1000", rtl8139: "E1000" } as const;

export function buildOvf(input: BuildOvfInput): string {
  const { definition: vm } = input;
  const exported = checkExportedDisks(vm, input.disks);
  let nextInstance = 1;
  const instance = () => nextInstance++;
  const items: string[] = [];
  items.push(item({ AllocationUnits: "hertz * 10^6", Description: "Number of Virtual CPUs", ElementName: `${vm.cpus} virtual CPU(s)`, InstanceID: instance(), ResourceType: RESOURCE.cpu, VirtualQuantity: vm.cpus }));
  const memory = inUnits(vm.memoryBytes, [20]);
  items.push(item({ AllocationUnits: memory.units, Description: "Memory Size", ElementName: `${vm.memory} of memory`, InstanceID: instance(), ResourceType: RESOURCE.memory, VirtualQuantity: memory.quantity }));

  const plan: ControllerPlan = allocateControllers(
    [...Object.entries(vm.disks).map(([id, disk]) => ({ id, bus: disk.bus === "virtio" ? "scsi" as const : disk.bus })),
      ...Object.entries(vm.cdroms).map(([id, cdrom]) => ({ id, bus: (cdrom as { bus?: "sata" | "ide" | "scsi" }).bus ?? "ide" }))],
    instance,
  );
  for (const controller of plan.controllers) {
    items.push(item({ Address: controller.address, Description: controller.description, ElementName: controller.name, InstanceID: controller.instanceId, ResourceSubType: controller.subtype, ResourceType: controller.resourceType }));
  }
  for (const id of Object.keys(vm.disks)) {
    const slot = plan.slots.get(id)!;
    items.push(item({ AddressOnParent: slot.unit, ElementName: id, HostResource: `ovf:/disk/${id}`, InstanceID: instance(), Parent: slot.parent, ResourceType: RESOURCE.disk }));
  }
  for (const id of Object.keys(vm.cdroms)) {
    const slot = plan.slots.get(id)!;
    items.push(item({ AddressOnParent: slot.unit, AutomaticAllocation: false, ElementName: id, InstanceID: instance(), Parent: slot.parent, ResourceType: RESOURCE.cdDrive }));
  }
  for (const [id, nic] of Object.entries(vm.nics)) {
    const mac = nic.mac === "auto" ? undefined : nic.mac.toLowerCase();
    items.push(item({ Address: mac, AutomaticAllocation: true, Connection: nic.network, Description: `${NIC_SUBTYPES[nic.model]} ethernet adapter on "${nic.network}"`, ElementName: id, InstanceID: instance(), ResourceSubType: NIC_SUBTYPES[nic.model], ResourceType: RESOURCE.ethernet }));
  }

  const networks = [...new Set(Object.values(vm.nics).map((nic) => nic.network))];
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<Envelope xmlns="${NS.ovf}" xmlns:ovf="${NS.ovf}" xmlns:cim="${NS.cim}" xmlns:rasd="${NS.rasd}" xmlns:vssd="${NS.vssd}" xmlns:vmw="${NS.vmw}" xmlns:xsi="${NS.xsi}" xmlns:vmctl="${NS.vmctl}">`,
    `  <References>`,
    ...exported.map((disk) => `    <File ovf:href="${x(disk.href)}" ovf:id="file-${x(disk.id)}" ovf:size="${disk.fileSizeBytes}"/>`),
    `  </References>`,
    `  <DiskSection>`,
    `    <Info>Virtual disk information</Info>`,
    ...exported.map((disk) => {
      const capacity = inUnits(disk.capacityBytes, [30, 20]);
      const populated = disk.populatedSizeBytes === undefined ? "" : ` ovf:populatedSize="${disk.populatedSizeBytes}"`;
      return `    <Disk ovf:capacity="${capacity.quantity}" ovf:capacityAllocationUnits="${capacity.units}" ovf:diskId="${x(disk.id)}" ovf:fileRef="file-${x(disk.id)}" ovf:format="${VMDK_STREAM_OPTIMIZED}"${populated}/>`;
    }),
    `  </DiskSection>`,
    `  <NetworkSection>`,
    `    <Info>The logical networks used by the VM</Info>`,
    ...networks.map((network) => `    <Network ovf:name="${x(network)}">\n      <Description>vmctl network "${x(network)}"</Description>\n    </Network>`),
    `  </NetworkSection>`,
    `  <VirtualSystem ovf:id="${x(vm.name)}">`,
    `    <Info>A virtual machine exported by vmctl</Info>`,
    `    <Name>${x(vm.name)}</Name>`,
    ...(vm.description ? [`    <AnnotationSection>`, `      <Info>A description of the VM</Info>`, `      <Annotation>${x(vm.description)}</Annotation>`, `    </AnnotationSection>`] : []),
    `    <OperatingSystemSection ovf:id="1" vmw:osType="otherGuest64">`,
    `      <Info>The guest operating system is not recorded by vmctl</Info>`,
    `      <Description>Other (64-bit)</Description>`,
    `    </OperatingSystemSection>`,
    `    <VirtualHardwareSection>`,
    `      <Info>Virtual hardware requirements</Info>`,
    `      <System>`,
    fields("vssd", { ElementName: "Virtual Hardware Family", InstanceID: 0, VirtualSystemIdentifier: vm.name, VirtualSystemType: "vmx-11" }, "        "),
    `      </System>`,
    ...items,
    ...(vm.firmware === "uefi" ? [`      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>`] : []),
    `    </VirtualHardwareSection>`,
    ...(input.definitionToml === undefined ? [] : [
      `    <vmctl:Definition ovf:required="false">`,
      `      <Info>The vmctl definition of this VM (TOML), for an exact import by vmctl</Info>`,
      `      <vmctl:Toml>${x(input.definitionToml)}</vmctl:Toml>`,
      `    </vmctl:Definition>`,
    ]),
    `  </VirtualSystem>`,
    `</Envelope>`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The exported disks in definition order; a caller mistake (a disk missing, an unsafe href) is a RangeError. */
function checkExportedDisks(vm: VmDefinition, disks: ExportedDisk[]): ExportedDisk[] {
  const byId = new Map(disks.map((disk) => [disk.id, disk]));
  if (byId.size !== disks.length) throw new RangeError("buildOvf: an exported disk id is given twice");
  const hrefs = new Set<string>();
  for (const disk of disks) {
    if (!(disk.id in vm.disks)) throw new RangeError(`buildOvf: exported disk ${quote(disk.id)} is not a disk of VM ${quote(vm.name)}`);
    if (normalFormProblem(disk.href) !== undefined || disk.href.includes("/")) throw new RangeError(`buildOvf: disk href ${quote(disk.href)} must be a plain file name`);
    if (hrefs.has(disk.href)) throw new RangeError(`buildOvf: disk href ${quote(disk.href)} is used twice`);
    hrefs.add(disk.href);
    for (const size of [disk.fileSizeBytes, disk.capacityBytes]) {
      if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`buildOvf: disk ${quote(disk.id)} has a size that is not a byte count`);
    }
  }
  return Object.keys(vm.disks).map((id) => {
    const disk = byId.get(id);
    if (!disk) throw new RangeError(`buildOvf: disk ${quote(id)} of VM ${quote(vm.name)} has no exported file`);
    return disk;
  });
}
