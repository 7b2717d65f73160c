// Which storage actions a VM's state allows, from vmctld's own state table (api-types states.ts,
// through its dependency-free "./states" entry so the schema library stays out of the bundle). A
// button that is not allowed says why rather than failing after a click.
import type { VmSummary } from "@vmctl/api-types";
import { allowedStates } from "@vmctl/api-types/states";

const STORAGE = allowedStates("storage");
const SNAPSHOT = allowedStates("snapshot");
const REVERT = allowedStates("revert");
// A CD drive is added to the definition, as hardware is; clone, template and export need a stopped VM.
const ADD_CDROM = allowedStates("edit-hardware");
const CLONE = allowedStates("clone");
const TEMPLATE = allowedStates("template");
const EXPORT = allowedStates("export");

/** Whether a QEMU process runs the guest (its uptime, metrics and live changes). */
export const hasQemu = (vm: VmSummary) => vm.state === "running" || vm.state === "paused";

/** Why the action cannot run now, or null when it can. */
export const refusal = {
  storage: (vm: VmSummary) => (vm.template ? "A template does not change; convert it to a VM first." : STORAGE.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  addCdrom: (vm: VmSummary) => (vm.template ? "A template does not change; convert it to a VM first." : ADD_CDROM.includes(vm.state) ? null : "A CD drive is added while the VM is stopped."),
  snapshot: (vm: VmSummary) => (vm.template ? "A template keeps no snapshots." : SNAPSHOT.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  revert: (vm: VmSummary) => (vm.template ? "A template keeps no snapshots." : REVERT.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  /** A full copy of the present disks; a snapshot or a template may be cloned at any time. */
  clone: (vm: VmSummary) => (vm.template || CLONE.includes(vm.state) ? null : "Stop the VM to copy its disks, or clone one of its snapshots."),
  template: (vm: VmSummary) => (TEMPLATE.includes(vm.state) ? null : "Stop the VM first."),
  export: (vm: VmSummary) => (vm.template || EXPORT.includes(vm.state) ? null : "Stop the VM to export it."),
};
