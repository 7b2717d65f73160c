// The Linux bridge of a managed network: made with the gateway address, or found again (vmctld
// restarted while VMs ran on it) and given the address it should have.
import { gatewayOf, type Subnet } from "./cidr.js";
import { listLinks, runNet } from "./net-commands.js";

export async function ensureBridge(name: string, subnet: Subnet): Promise<void> {
  const links = await listLinks();
  if (!links.has(name)) {
    // No STP and no forwarding delay: a tap joins and forwards at once, as the guest's DHCP needs.
    await runNet("ip", ["link", "add", "name", name, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  }
  const address = `${gatewayOf(subnet)}/${subnet.prefix}`;
  const current = JSON.parse(await runNet("ip", ["-j", "-4", "addr", "show", "dev", name])) as { addr_info?: { local: string; prefixlen: number }[] }[];
  const addresses = (current[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  for (const other of addresses.filter((a) => a !== address)) await runNet("ip", ["addr", "del", other, "dev", name]);
  if (!addresses.includes(address)) await runNet("ip", ["addr", "add", address, "dev", name]);
  await runNet("ip", ["link", "set", "dev", name, "up"]);
}
