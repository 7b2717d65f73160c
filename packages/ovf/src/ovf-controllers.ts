// Places disks and CD drives on VMware-style controllers: LSI Logic SCSI (15 units each, 7 is the
// controller's own), one AHCI SATA controller (30 units) and two IDE channels of two units.
import { RESOURCE } from "./ovf-namespaces.js";

export interface ControllerItem { instanceId: number; resourceType: number; subtype: string; name: string; description: string; address: number }
export interface ControllerPlan { controllers: ControllerItem[]; slots: Map<string, { parent: number; unit: number }> }

const KINDS = {
  scsi: { resourceType: RESOURCE.scsiController, subtype: "lsilogic", name: "SCSI controller", description: "SCSI Controller", max: 4, units: [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15] },
  sata: { resourceType: RESOURCE.sataController, subtype: "vmware.sata.ahci", name: "SATA controller", description: "SATA Controller", max: 1, units: Array.from({ length: 30 }, (_, i) => i) },
  ide: { resourceType: RESOURCE.ideController, subtype: "PIIX4", name: "IDE controller", description: "IDE Controller", max: 2, units: [0, 1] },
} as const;

export function allocateControllers(devices: Array<{ id: string; bus: "scsi" | "sata" | "ide" }>, nextInstance: () => number): ControllerPlan {
  const plan: ControllerPlan = { controllers: [], slots: new Map() };
  for (const bus of ["scsi", "sata", "ide"] as const) {
    const kind = KINDS[bus];
    const onBus = devices.filter((device) => device.bus === bus);
    const needed = Math.ceil(onBus.length / kind.units.length);
    if (needed > kind.max) throw new RangeError(`buildOvf: ${onBus.length} devices on ${bus} do not fit ${kind.max} VMware ${kind.name}(s)`);
    for (let index = 0; index < needed; index++) {
      const instanceId = nextInstance();
      plan.controllers.push({ instanceId, resourceType: kind.resourceType, subtype: kind.subtype, name: `${kind.name} ${index}`, description: kind.description, address: index });
      onBus.slice(index * kind.units.length, (index + 1) * kind.units.length).forEach((device, slot) => {
        plan.slots.set(device.id, { parent: instanceId, unit: kind.units[slot]! });
      });
    }
  }
  return plan;
}
