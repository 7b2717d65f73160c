// NICs of a running QEMU: their backends (netdev_add/_del) and link state (set_link). The devices
// themselves come and go with device_add/_del (commands-block.ts).
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

/** netdev_add's Netdev for the two backends vmctl gives NICs: a tap vmctld made (opened by name), or user-mode. */
export type NetdevAddArgs =
  | { type: "tap"; id: string; ifname: string; script: "no"; downscript: "no" }
  | { type: "user"; id: string };

export const netCommands = {
  netdevAdd: (qmp: QmpClient, args: NetdevAddArgs) => qmp.execute<Empty>("netdev_add", { ...args }),
  netdevDel: (qmp: QmpClient, id: string) => qmp.execute<Empty>("netdev_del", { id }),
  /** The link of a NIC (its qdev id) as the guest sees it: carrier on or off. */
  setLink: (qmp: QmpClient, name: string, up: boolean) => qmp.execute<Empty>("set_link", { name, up }),
};
