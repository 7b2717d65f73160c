// What vmctld offers its agent (packages/daemon/src/cluster/host-port.ts implements it): who the
// host is, what it has, a client of its own API over the unix socket, and the few acts on VM folders
// the API has no route for (taking a VM on a shared datastore over, letting it go, a hard stop).
import type { VmctlClient } from "@vmctl/client";
import type { HostRecord } from "../cluster-keys.js";

/** The HostRecord fields a host measures itself (the agent adds id, name, url, cert, times and counts). */
export type HostResources = Pick<HostRecord,
  "cpus" | "memoryBytes" | "freeMemoryBytes" | "load" | "qemuVersion" | "cpuModel" | "accel" | "datastores" | "networks" | "migrationAddress">;

/** A VM of this host's inventory, with what the host API's summary does not carry. */
export interface LocalVm {
  name: string;
  /** Absent while its definition does not validate. */
  uuid: string | undefined;
  datastore: string;
  /** Its datastore is shared between the hosts of the cluster. */
  shared: boolean;
  /** `[policy] ha = true` in its definition. */
  ha: boolean;
}

export interface HostPort {
  /** The host's own UUID (GET /api/v1/host → id). */
  readonly hostId: string;
  readonly name: string;
  /** Its HTTPS API, e.g. "https://127.0.0.1:8443". */
  readonly url: string;
  /** Its TLS certificate (PEM), which vmcenter pins. */
  readonly certPem: string;
  /** vmctld's version, reported as the agent's. */
  readonly version: string;
  resources(): Promise<HostResources>;
  /** The host's API over its unix socket (root's way in: the agent acts as the host itself). */
  readonly client: VmctlClient;
  /** The VMs of the inventory as known now. */
  localVms(): LocalVm[];
  /**
   * Takes over the VM folder `name` on shared datastore `datastore` whose definition holds `uuid`
   * (writes its owner file naming this host, rescans the inventory); false, with nothing written,
   * when there is no such folder, or its definition is another VM's.
   */
  adopt(datastore: string, name: string, uuid: string): Promise<boolean>;
  /** Lets go of a stopped VM on a shared datastore: its owner file names `toHost` and it leaves the inventory. Files stay. */
  release(name: string, toHost: string): Promise<void>;
  /** Stops a VM at once (QEMU killed), whatever the guest does. */
  forceStop(name: string): Promise<void>;
}
