// A portgroup's devices: a bridge of its own (named like a network's), so that VMs on different tags
// share no layer-2 segment even on a kernel without 802.1Q or bridge VLAN filtering, joined to its
// parent in one of two ways:
// - a managed parent (nat, isolated): a veth pair from the portgroup's bridge to the parent's, the
//   parent's end marked `isolated` (bridge port isolation): isolated ports forward nothing to one
//   another, so portgroups of one parent never reach each other, while each reaches the parent's
//   gateway and dnsmasq (the bridge itself), whose subnet and DHCP it shares. No tag is put on a
//   frame: nothing of a managed network leaves the host.
// - a bridge parent (the LAN): a VLAN sub-interface of that bridge (parent.N) joins the portgroup's
//   bridge, so its frames reach the wire tagged. Where the kernel has no 802.1Q, the portgroup is
//   local: its VMs reach each other on this host and nothing else (never the LAN untagged).
import { listLinks, runNet } from "./net-commands.js";

export interface PortgroupSpec {
  bridge: string;
  links: { veth: string; peer: string; vlan: string };
  parentDevice: string;
  parentKind: "managed" | "bridge";
  vlan: number;
}

async function ensureBareBridge(name: string, links: Map<string, string | undefined>): Promise<void> {
  if (!links.has(name)) await runNet("ip", ["link", "add", "name", name, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await runNet("ip", ["link", "set", "dev", name, "up"]);
}

/** Makes (or finds again and fixes) the portgroup's bridge and its link to the parent; says when the tag cannot reach the wire. */
export async function ensurePortgroup(spec: PortgroupSpec): Promise<{ warning?: string }> {
  const links = await listLinks();
  if (!links.has(spec.parentDevice)) throw new Error(`the parent's bridge ${spec.parentDevice} does not exist`);
  await ensureBareBridge(spec.bridge, links);
  if (spec.parentKind === "managed") {
    if (!links.has(spec.links.veth)) await runNet("ip", ["link", "add", "name", spec.links.veth, "type", "veth", "peer", "name", spec.links.peer]);
    await runNet("ip", ["link", "set", "dev", spec.links.veth, "master", spec.bridge, "up"]);
    await runNet("ip", ["link", "set", "dev", spec.links.peer, "master", spec.parentDevice, "up"]);
    await runNet("bridge", ["link", "set", "dev", spec.links.peer, "isolated", "on"]);
    return {};
  }
  if (!links.has(spec.links.vlan)) {
    try {
      await runNet("ip", ["link", "add", "link", spec.parentDevice, "name", spec.links.vlan, "type", "vlan", "id", String(spec.vlan)]);
    } catch (error) {
      return { warning: `the kernel cannot tag VLAN ${spec.vlan} onto ${spec.parentDevice} (${(error as Error).message}; \`modprobe 8021q\`): the portgroup's VMs reach only each other on this host` };
    }
  }
  await runNet("ip", ["link", "set", "dev", spec.links.vlan, "master", spec.bridge, "up"]);
  return {};
}

/** Whether `name` is a Linux bridge: the device of a bridge network must be one. */
export async function isBridge(name: string): Promise<boolean | undefined> {
  const shown = JSON.parse(await runNet("ip", ["-j", "-d", "link", "show"])) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  const link = shown.find((l) => l.ifname === name);
  return link === undefined ? undefined : link.linkinfo?.info_kind === "bridge";
}
