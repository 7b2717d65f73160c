// Which storage actions a VM's state allows, as vmctld's state table says (api-types states.ts);
// copied as plain lists so the Host Client does not bundle the schema library for them. A button
// that is not allowed says why rather than failing after a click.
import type { VmState, VmSummary } from "@vmctl/api-types";

const STORAGE: VmState[] = ["running", "paused", "stopped", "crashed"];
const SNAPSHOT: VmState[] = ["running", "paused", "stopped", "crashed"];
const REVERT: VmState[] = ["running", "paused", "stopped", "crashed", "suspended"];
const STOPPED: VmState[] = ["stopped", "crashed"];

export const hasQemu = (vm: VmSummary) => vm.state === "running" || vm.state === "paused";

/** Why the action cannot run now, or null when it can. */
export const refusal = {
  storage: (vm: VmSummary) => (vm.template ? "A template does not change; convert it to a VM first." : STORAGE.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  addCdrom: (vm: VmSummary) => (vm.template ? "A template does not change; convert it to a VM first." : STOPPED.includes(vm.state) ? null : "A CD drive is added while the VM is stopped."),
  snapshot: (vm: VmSummary) => (vm.template ? "A template keeps no snapshots." : SNAPSHOT.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  revert: (vm: VmSummary) => (vm.template ? "A template keeps no snapshots." : REVERT.includes(vm.state) ? null : `Not while the VM is ${vm.state}.`),
  /** A full copy of the present disks; a snapshot or a template may be cloned at any time. */
  clone: (vm: VmSummary) => (vm.template || STOPPED.includes(vm.state) ? null : "Stop the VM to copy its disks, or clone one of its snapshots."),
  template: (vm: VmSummary) => (STOPPED.includes(vm.state) ? null : "Stop the VM first."),
  export: (vm: VmSummary) => (vm.template || STOPPED.includes(vm.state) ? null : "Stop the VM to export it."),
};
