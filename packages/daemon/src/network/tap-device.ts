// A NIC's tap: made by vmctld (root) as a persistent tap owned by QEMU's user, so that QEMU, with no
// capabilities, can open it by name; joined to the network's bridge; removed when the VM stops.
import { deleteLink, listLinks, runNet } from "./net-commands.js";

export async function createTap(name: string, bridge: string, owner: { uid: number; gid: number } | null): Promise<void> {
  // A tap left by a VM that died with vmctld down carries our name: it is remade, not reused.
  if ((await listLinks()).has(name)) await deleteLink(name);
  const ownership = owner ? ["user", String(owner.uid), "group", String(owner.gid)] : [];
  await runNet("ip", ["tuntap", "add", "dev", name, "mode", "tap", ...ownership]);
  try {
    await runNet("ip", ["link", "set", "dev", name, "master", bridge, "up"]);
  } catch (error) {
    await deleteLink(name);
    throw error;
  }
}

/** After a vmctld restart the bridge may be new: the taps of running VMs join it again. */
export async function attachTap(name: string, bridge: string): Promise<void> {
  const links = await listLinks();
  if (links.has(name) && links.get(name) !== bridge) await runNet("ip", ["link", "set", "dev", name, "master", bridge, "up"]);
}

export { deleteLink as deleteTap };
