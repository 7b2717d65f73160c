// The agent's decisions, as a pure function of what it sees: the desired and observed records in
// etcd and this host's VMs. index.ts carries them out. Only records whose desired host is this host
// are acted on, except one rule: a VM this host holds that is desired on another host is stopped
// and let go (never deleted), unless it just arrived here by a migration vmcenter has not recorded yet.
import { hasProcess, type VmSummary } from "@vmctl/api-types";
import type { DesiredVm, ObservedVm } from "../cluster-keys.js";
import type { LocalVm } from "./host-port.js";

/** A VM this host holds: its summary from the host API, with what the port adds. */
export type HeldVm = VmSummary & Pick<LocalVm, "shared" | "ha">;

export type AgentAction =
  /** Take over the folder on a shared datastore (owner file, inventory), then act on its power. */
  | { kind: "adopt"; uuid: string; name: string; datastore: string }
  | { kind: "start"; uuid: string; name: string }
  | { kind: "stop"; uuid: string; name: string }
  /**
   * The VM was started or stopped on this host by someone other than the agent (a user through
   * vmcenter or the host, or the guest shutting down) after vmcenter's desired record was written:
   * that is the VM's power now, written back to the record (compare-and-swap on `updatedAt`) rather
   * than undone.
   */
  | { kind: "record"; uuid: string; name: string; power: "running" | "stopped"; updatedAt: string; why: string }
  /** Stop it (forced after 10 s) and, on a shared datastore, hand its folder to `toHost`. */
  | { kind: "evict"; uuid: string; name: string; toHost: string; shared: boolean; running: boolean };

/** How long a VM that arrived here (started after its desired record was written elsewhere) is left running while vmcenter catches up. */
export const ARRIVAL_GRACE_MS = 30_000;

/** Ends of a QEMU that someone meant: the guest shut down, or a user stopped it (not a crash or a kill). */
const MEANT_EXITS = new Set(["guest-shutdown", "host-stop"]);

/** States that are some other operation's: the agent waits until they end. */
const BUSY = new Set(["starting", "stopping", "snapshotting", "migrating", "cloning", "exporting"]);

export interface PlanInput {
  hostId: string;
  desired: DesiredVm[];
  observed: ObservedVm[];
  held: HeldVm[];
  now: number;
  /** When this agent first saw each held VM desired on another host (uuid → ms), kept by the caller. */
  conflictSince: Map<string, number>;
  /**
   * Per held VM, the `updatedAt` of the desired record under which this agent last saw it in the
   * power that record asks for (kept by the caller): a later change to the other power was someone's
   * doing here, not a start or stop still owed (an adoption, an HA restart).
   */
  settledUnder: Map<string, string>;
}

export function planActions(input: PlanInput): AgentAction[] {
  const { hostId, now } = input;
  const held = new Map(input.held.flatMap((vm) => (vm.uuid ? [[vm.uuid, vm] as const] : [])));
  const actions: AgentAction[] = [];
  const seenConflicts = new Set<string>();
  for (const want of input.desired) {
    const vm = held.get(want.uuid);
    // vmcenter moves it between hosts and drives both ends: neither agent touches it meanwhile.
    if (want.migration) continue;
    if (want.host !== hostId) {
      if (!vm || BUSY.has(vm.state) || vm.template) continue;
      const running = hasProcess(vm.state);
      seenConflicts.add(want.uuid);
      const since = input.conflictSince.get(want.uuid) ?? now;
      input.conflictSince.set(want.uuid, since);
      // A VM started here after its desired record was last written elsewhere arrived by a live
      // migration that vmcenter is about to record: left alone for a while.
      const startedAfter = vm.startedAt !== undefined && Date.parse(vm.startedAt) > Date.parse(want.updatedAt);
      if (running && startedAfter && now - since < ARRIVAL_GRACE_MS) continue;
      if (!running && !vm.shared) continue; // stopped on storage of its own: nothing to hand over, files stay
      actions.push({ kind: "evict", uuid: want.uuid, name: vm.name, toHost: want.host, shared: vm.shared, running });
      continue;
    }
    if (!vm) {
      if (!want.shared) continue; // on another host's own storage: nothing this host can reach
      // Taken over only once no other host shows it with a process (a host letting go stops it first).
      const elsewhere = input.observed.some((o) => o.uuid === want.uuid && o.host !== hostId && hasProcess(o.summary.state));
      if (!elsewhere) actions.push({ kind: "adopt", uuid: want.uuid, name: want.name, datastore: want.datastore });
      continue;
    }
    if (BUSY.has(vm.state) || vm.template || vm.definitionError) continue;
    if (want.power === null) continue;
    const running = hasProcess(vm.state);
    if ((want.power === "running") === running) {
      input.settledUnder.set(want.uuid, want.updatedAt);
      continue;
    }
    const settled = input.settledUnder.get(want.uuid) === want.updatedAt;
    if (want.power === "running") {
      if (settled && vm.state === "stopped" && vm.lastExitReason !== undefined && MEANT_EXITS.has(vm.lastExitReason)) {
        actions.push({ kind: "record", uuid: want.uuid, name: vm.name, power: "stopped", updatedAt: want.updatedAt, why: vm.lastExitReason === "guest-shutdown" ? "its guest shut down" : "stopped on its host" });
      } else actions.push({ kind: "start", uuid: want.uuid, name: vm.name });
    } else if (settled) {
      actions.push({ kind: "record", uuid: want.uuid, name: vm.name, power: "running", updatedAt: want.updatedAt, why: "started on its host" });
    } else actions.push({ kind: "stop", uuid: want.uuid, name: vm.name });
  }
  for (const uuid of [...input.conflictSince.keys()]) if (!seenConflicts.has(uuid)) input.conflictSince.delete(uuid);
  for (const uuid of [...input.settledUnder.keys()]) if (!held.has(uuid)) input.settledUnder.delete(uuid);
  return actions;
}

/** The desired record an agent creates for a VM made on this host (create-if-absent: vmcenter's wins). */
export function initialDesired(hostId: string, hostName: string, vm: HeldVm, now: Date): DesiredVm {
  return {
    uuid: vm.uuid!, name: vm.name, host: hostId, power: null, ha: vm.ha, datastore: vm.datastore, shared: vm.shared,
    memoryBytes: vm.memoryBytes, cpus: vm.cpus, generation: 1, updatedAt: now.toISOString(), reason: `registered by host ${hostName}`,
  };
}
