// The host's networks as the Host Client shows them: a kind in words a person reads, which VMs'
// NICs use each one (from their definitions), and which form field an API refusal names.
import type { Network, VmDetail } from "@vmctl/api-types";
import { ApiError } from "./http";

/** "NAT", "Isolated", "Bridge", "Port group (VLAN 10 on lan)", "NAT (user mode)". */
export function kindLabel(network: Pick<Network, "kind" | "vlan" | "parent">): string {
  switch (network.kind) {
    case "nat": return "NAT";
    case "isolated": return "Isolated";
    case "bridge": return network.vlan !== undefined ? `Bridge (VLAN ${network.vlan})` : "Bridge";
    case "portgroup": return `Port group (VLAN ${network.vlan ?? "?"}${network.parent ? ` on ${network.parent}` : ""})`;
    case "user": return "NAT (user mode)";
  }
}

/**
 * The network a NIC's `network` names: "nat", as definitions written before host networks said,
 * is the host's default network unless one is named "nat" (the definition schema's rule).
 */
export function nicNetwork(name: string, networks: readonly Pick<Network, "name">[] | undefined): string {
  if (name === "nat" && !networks?.some((n) => n.name === "nat")) return "default";
  return name;
}

/** network name → the VMs (sorted) whose NICs are on it. */
export function vmsByNetwork(vms: readonly Pick<VmDetail, "name" | "definition">[], networks: readonly Pick<Network, "name">[]): Map<string, string[]> {
  const using = new Map<string, string[]>();
  for (const vm of vms) {
    const names = new Set(Object.values(vm.definition?.nics ?? {}).map((nic) => nicNetwork(nic.network, networks)));
    for (const name of names) using.set(name, [...(using.get(name) ?? []), vm.name].sort());
  }
  return using;
}

export const NETWORK_FIELDS = ["name", "kind", "subnet", "bridge", "parent", "vlan"] as const;
export type NetworkField = (typeof NETWORK_FIELDS)[number];

/**
 * The field of the create form a refusal is about: the `field` of its details, the first schema
 * issue's, or the "field: …" its message starts with; undefined when it names none (shown above the form).
 */
export function refusedField(error: unknown): NetworkField | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const details = (error.details ?? {}) as { field?: unknown; issues?: Array<{ field?: unknown }> };
  const candidates = [details.field, details.issues?.[0]?.field, /^([a-z]+)\b/.exec(error.message)?.[1]];
  for (const candidate of candidates) {
    if (typeof candidate !== "string") continue;
    const field = candidate.replace(/^\//, "").split(/[./]/)[0];
    if ((NETWORK_FIELDS as readonly string[]).includes(field ?? "")) return field as NetworkField;
  }
  return undefined;
}

export interface Address { nic: string; mac: string; ip: string; source: "dhcp" | "agent" }

/**
 * A VM's IP addresses (`addresses` of GET /vms, issue 12), [] while vmctld knows none; read
 * defensively so a vmctld that does not send them yet shows "—" rather than failing.
 */
export function addressesOf(vm: object): Address[] {
  const list = (vm as { addresses?: unknown }).addresses;
  return Array.isArray(list) ? (list as Address[]).filter((a) => a && typeof a.ip === "string") : [];
}
