// The VM's hardware as the Hardware tab shows it, from GET /api/v1/vms/:name `definition`: the
// validated definition, typed by @vmctl/api-types (every default filled in, sizes in bytes; null
// while the file on disk does not validate), with its tables of disks, CD-ROMs and NICs as lists.
import type { VmDefinition } from "@vmctl/api-types";

export type Disk = VmDefinition["disks"][string] & { id: string };
export type Cdrom = VmDefinition["cdroms"][string] & { id: string };
export type Nic = VmDefinition["nics"][string] & { id: string };

export interface Hardware {
  cpus: number;
  memory: string;
  memoryBytes: number;
  machine: VmDefinition["machine"];
  firmware: VmDefinition["firmware"];
  accel: VmDefinition["accel"];
  boot: VmDefinition["boot"];
  disks: Disk[];
  cdroms: Cdrom[];
  nics: Nic[];
  console: VmDefinition["console"];
  policy: { autostart: boolean; onCrash: VmDefinition["policy"]["on_crash"]; stopTimeout: number };
}

const byId = <T extends object>(table: Record<string, T>): Array<T & { id: string }> => Object.entries(table).map(([id, item]) => ({ id, ...item }));

export function readHardware(definition: VmDefinition | null): Hardware | null {
  if (!definition) return null;
  const { cpus, memory, memoryBytes, machine, firmware, accel, boot, console, policy } = definition;
  return {
    cpus, memory, memoryBytes, machine, firmware, accel, boot, console,
    disks: byId(definition.disks), cdroms: byId(definition.cdroms), nics: byId(definition.nics),
    policy: { autostart: policy.autostart, onCrash: policy.on_crash, stopTimeout: policy.stop_timeout },
  };
}
