// A VM's port forwards: a host port (TCP or UDP, on one host address or on all, loopback included)
// that reaches a port of the guest through its NIC on a nat network. Kept in SQLite by the VM's
// uuid (a rename keeps them, a destroy takes them); each becomes a DNAT rule in the nat network's
// nftables table (network/nft-ruleset.ts), whose target is the NIC's DHCP reservation. Rules come and
// go with the network: re-made at every bring-up (vmctld's start), gone when it goes down.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { VmctlError, type PortForward, type PortForwardRequest, type VmDefinition } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import type { NftForward } from "../network/nft-ruleset.js";
import { ipToNumber } from "../network/cidr.js";
import { clashingListeners, hostAddresses, hostListeners, type Listener } from "../network/host-sockets.js";
import type { HostNetworks } from "./host-networks.js";
import type { Inventory } from "./inventory.js";

interface Row { id: string; vm_uuid: string; nic: string; host_address: string | null; host_port: number; guest_port: number; protocol: "tcp" | "udp"; created_at: string }

/** What a forward checks against on the host (the real /proc and `ip` unless a test gives others). */
export interface HostPorts { addresses(): Promise<string[]>; listeners(): Promise<Listener[]> }
const REAL_HOST: HostPorts = { addresses: hostAddresses, listeners: hostListeners };

/** Ports below this are the host's privileged ones: only who may change the host's networks forwards them. */
export const FIRST_UNPRIVILEGED_PORT = 1024;
/** A flood of POSTs stops here: every forward is a rule in the kernel. */
export const MAX_FORWARDS = 1024;

export class PortForwards {
  /** One add or removal at a time: a check and its insert are not split by another's. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly inventory: Inventory,
    private readonly networks: HostNetworks,
    /** The VM's uuid, given to (and written into) a definition without one when `assign`. */
    private readonly uuidOf: (vm: string, assign: boolean) => string | undefined,
    private readonly log: Logger,
    private readonly host: HostPorts = REAL_HOST,
  ) {
    networks.setForwardSource((network) => this.rulesOn(network));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => {}).then(work);
    this.queue = next;
    return next;
  }

  private rows(): Row[] {
    return this.db.prepare("SELECT * FROM port_forwards ORDER BY created_at, id").all() as Row[];
  }

  private vmOf(uuid: string): { name: string; def: VmDefinition } | undefined {
    const entry = this.inventory.list().find((e) => e.def?.uuid === uuid);
    return entry?.def ? { name: entry.name, def: entry.def } : undefined;
  }

  /** Where a forward leads now: its NIC's nat network and reserved address, or nothing when the NIC is gone or elsewhere. */
  private target(row: Row, def: VmDefinition | undefined): { network: string; guestAddress: string | undefined } | undefined {
    const nic = def?.nics[row.nic];
    const network = nic && this.networks.registry.resolve(nic.network);
    if (!nic || !network || network.kind !== "nat") return undefined;
    return { network: network.name, guestAddress: this.networks.reservedAddress(network.name, nic.mac) };
  }

  private describe(row: Row, vm: { name: string; def: VmDefinition } | undefined): PortForward {
    const target = this.target(row, vm?.def);
    const active = target?.guestAddress !== undefined && this.networks.describeOne(target.network).state === "active";
    return {
      id: row.id, vm: vm?.name ?? row.vm_uuid, hostPort: row.host_port, guestPort: row.guest_port, protocol: row.protocol,
      ...(row.host_address ? { hostAddress: row.host_address } : {}), nic: row.nic,
      ...(target ? { network: target.network } : {}), ...(target?.guestAddress ? { guestAddress: target.guestAddress } : {}),
      active, createdAt: row.created_at,
    };
  }

  /** The DNAT rules of a nat network: every forward whose NIC is on it and has its reservation. */
  rulesOn(network: string): NftForward[] {
    return this.rows().flatMap((row) => {
      const target = this.target(row, this.vmOf(row.vm_uuid)?.def);
      if (target?.network !== network || target.guestAddress === undefined) return [];
      return [{ protocol: row.protocol, hostPort: row.host_port, guestAddress: target.guestAddress, guestPort: row.guest_port, ...(row.host_address ? { hostAddress: row.host_address } : {}) }];
    });
  }

  list(vm: string): PortForward[] {
    const def = this.inventory.definition(vm);
    const uuid = this.uuidOf(vm, false);
    if (uuid === undefined) return [];
    return this.rows().filter((r) => r.vm_uuid === uuid).map((r) => this.describe(r, { name: vm, def }));
  }

  /** Adds a forward after every check (nothing changes when one fails); `privileged`: may the caller take a port below 1024. */
  add(vm: string, request: PortForwardRequest, privileged: boolean): Promise<PortForward> {
    return this.serial(async () => {
      const def = this.inventory.definition(vm);
      const protocol = request.protocol ?? "tcp";
      const fail = (field: string, message: string, code: "bad_request" | "in_use" | "forbidden" = "bad_request"): never => {
        throw new VmctlError(code, `${field}: ${message}`, { field });
      };
      for (const field of ["hostPort", "guestPort"] as const) {
        const value = request[field];
        if (!Number.isInteger(value) || value < 1 || value > 65535) fail(field, `${String(value)} is not a port; give one from 1 to 65535`);
      }
      if (request.hostPort < FIRST_UNPRIVILEGED_PORT && !privileged) {
        fail("hostPort", `${request.hostPort} is a privileged port of the host (below ${FIRST_UNPRIVILEGED_PORT}); only who may change the host's networks (network.write) forwards it; choose a port from ${FIRST_UNPRIVILEGED_PORT} up, e.g. ${request.hostPort + 8000 <= 65535 ? request.hostPort + 8000 : 8022}`, "forbidden");
      }
      const hostAddress = request.hostAddress;
      if (hostAddress !== undefined) {
        if (ipToNumber(hostAddress) === undefined) fail("hostAddress", `"${hostAddress}" is not an IPv4 address; give one of the host's addresses, e.g. "127.0.0.1", or leave it out to answer on all`);
        const addresses = await this.host.addresses();
        if (!addresses.includes(hostAddress)) fail("hostAddress", `"${hostAddress}" is not an address of this host (it has ${addresses.join(", ")}); give one of those, or leave it out to answer on all`);
      }
      const nics = Object.entries(def.nics).filter(([, nic]) => this.networks.registry.resolve(nic.network)?.kind === "nat");
      if (nics.length === 0) {
        fail("nics", `VM "${vm}" has no NIC on a nat network, which a port forward needs (its guest address is on the nat network's bridge); put a NIC on one, e.g. the host's default network`);
      }
      const [nicId, nic] = nics[0]!;
      const rows = this.rows();
      if (rows.length >= MAX_FORWARDS) fail("hostPort", `the host already has ${MAX_FORWARDS} port forwards, as many as it takes; remove one first`, "in_use");
      const overlap = (a: string | null) => a === null || hostAddress === undefined || a === hostAddress;
      const taken = rows.find((r) => r.protocol === protocol && r.host_port === request.hostPort && overlap(r.host_address));
      if (taken) {
        const holder = this.vmOf(taken.vm_uuid)?.name ?? taken.vm_uuid;
        fail("hostPort", `${protocol} port ${request.hostPort}${taken.host_address ? ` on ${taken.host_address}` : ""} is already forwarded to VM "${holder}" (${taken.id}); choose another host port or remove that forward (vmctl port-forward rm ${holder} ${taken.id})`, "in_use");
      }
      const listening = clashingListeners(await this.host.listeners(), protocol, request.hostPort, hostAddress);
      if (listening.length > 0) {
        fail("hostPort", `${protocol} port ${request.hostPort} is already in use on the host (a process listens on ${listening[0]!.address}:${listening[0]!.port}); choose another host port`, "in_use");
      }
      const uuid = this.uuidOf(vm, true);
      if (uuid === undefined) throw new VmctlError("bad_request", `VM "${vm}" has no uuid and its definition cannot be given one (a read-only datastore); a port forward follows the VM's uuid`);
      const network = this.networks.registry.resolve(nic.network)!;
      await this.networks.reserve(network.name, nic.mac);
      const row: Row = {
        id: `pf-${randomBytes(4).toString("hex")}`, vm_uuid: uuid, nic: nicId, host_address: hostAddress ?? null,
        host_port: request.hostPort, guest_port: request.guestPort, protocol, created_at: new Date().toISOString(),
      };
      this.db.prepare("INSERT INTO port_forwards (id, vm_uuid, nic, host_address, host_port, guest_port, protocol, created_at) VALUES (@id, @vm_uuid, @nic, @host_address, @host_port, @guest_port, @protocol, @created_at)").run(row);
      try {
        await this.networks.applyForwards(network.name);
      } catch (error) {
        this.db.prepare("DELETE FROM port_forwards WHERE id = ?").run(row.id);
        await this.networks.applyForwards(network.name).catch(() => {});
        throw new VmctlError("internal", `the port forward could not be put in place: ${(error as Error).message}`);
      }
      this.log.info({ vm, id: row.id, protocol, hostPort: row.host_port, guestPort: row.guest_port }, "port forward added");
      return this.describe(row, { name: vm, def });
    });
  }

  remove(vm: string, id: string): Promise<PortForward> {
    return this.serial(async () => {
      const def = this.inventory.definition(vm);
      const uuid = this.uuidOf(vm, false);
      const row = this.db.prepare("SELECT * FROM port_forwards WHERE id = ?").get(id) as Row | undefined;
      if (!row || row.vm_uuid !== uuid) throw new VmctlError("port_forward_not_found", `VM "${vm}" has no port forward ${id}; \`vmctl port-forward ls ${vm}\` lists them`, { id });
      const described = this.describe(row, { name: vm, def });
      this.db.prepare("DELETE FROM port_forwards WHERE id = ?").run(id);
      if (described.network) await this.networks.applyForwards(described.network);
      return described;
    });
  }

  /** A VM destroyed: its forwards and its NICs' reservations go, their rules with them. */
  vmDestroyed(uuid: string | undefined): Promise<void> {
    return this.serial(async () => {
      if (uuid !== undefined) this.db.prepare("DELETE FROM port_forwards WHERE vm_uuid = ?").run(uuid);
      await this.reloadAll();
    });
  }

  /**
   * A VM's NICs changed (hot-plugged, unplugged, or its definition edited): a forward follows where its
   * NIC is now, so one whose NIC left its nat network stops answering at once, not at the next reload.
   */
  nicsChanged(): Promise<void> {
    return this.serial(() => this.reloadAll());
  }

  private async reloadAll(): Promise<void> {
    await this.networks.pruneReservations();
    for (const network of this.networks.registry.list().filter((n) => n.kind === "nat")) {
      await this.networks.applyForwards(network.name).catch((error: unknown) => this.log.warn({ network: network.name, err: (error as Error).message }, "could not reload the network's port forwards"));
    }
  }
}
