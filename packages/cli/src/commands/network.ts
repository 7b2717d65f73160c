// vmctl network ls|show|create|rm: the host's networks (vmctld checks kinds and settings, and says
// what to fix; nothing of the wire shapes is copied here).
import type { Command } from "commander";
import type { Network, NetworkCreateRequest } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";

function settings(n: Network): string {
  return [n.subnet && `subnet ${n.subnet}`, n.bridge && `bridge ${n.bridge}`, n.parent && `parent ${n.parent}`, n.vlan !== undefined && `vlan ${n.vlan}`].filter(Boolean).join(", ") || "-";
}

export function registerNetwork(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const client = () => clientFor(globals());
  const network = program.command("network").description("host networks: nat, isolated, bridge, portgroup, user");

  network.command("ls").alias("list").description("list the host's networks").action(async () => {
    const networks = await client().listNetworks();
    if (json()) return printJson(networks);
    printTable(["NAME", "KIND", "STATE", "ORIGIN", "SETTINGS", "DEVICE"], networks.map((n) => [n.name, n.kind, n.state, n.origin, settings(n), n.device ?? "-"]));
  });

  network.command("show").description("one network in detail").argument("<name>").action(async (name: string) => {
    const n = await client().network(name);
    if (json()) return printJson(n);
    const rows: [string, string | number | undefined][] = [["name", n.name], ["kind", n.kind], ["state", n.state], ["origin", n.origin], ["subnet", n.subnet], ["gateway", n.gateway], ["device", n.device], ["bridge", n.bridge], ["parent", n.parent], ["vlan", n.vlan], ["error", n.error]];
    for (const [key, value] of rows) if (value !== undefined) process.stdout.write(`${`${key}:`.padEnd(9)}${value}\n`);
  });

  network.command("create").description("add a network; nat and isolated ones are brought up at once").argument("<name>")
    .requiredOption("--kind <kind>", "nat | isolated | bridge | portgroup | user")
    .option("--subnet <cidr>", "IPv4 subnet of a nat or isolated network, e.g. 10.77.0.0/24 (default: a free /24)")
    .option("--bridge <bridge>", "the existing Linux bridge of a bridge network")
    .option("--parent <network>", "the network a portgroup is a VLAN of")
    .option("--vlan <n>", "the VLAN tag of a portgroup")
    .action(async (name: string, options: { kind: string; subnet?: string; bridge?: string; parent?: string; vlan?: string }) => {
      const vlan = options.vlan === undefined ? undefined : Number(options.vlan);
      if (vlan !== undefined && !Number.isInteger(vlan)) throw new CliError(`--vlan: "${options.vlan}" is not a number; give a tag from 1 to 4094`, "bad_request", 2);
      const request = {
        name, kind: options.kind,
        ...(options.subnet ? { subnet: options.subnet } : {}), ...(options.bridge ? { bridge: options.bridge } : {}),
        ...(options.parent ? { parent: options.parent } : {}), ...(vlan !== undefined ? { vlan } : {}),
      } as NetworkCreateRequest;
      const made = await client().createNetwork(request);
      if (json()) return printJson(made);
      process.stdout.write(`created network ${made.name} (${made.kind}${made.subnet ? `, ${made.subnet}` : ""}${made.device ? ` on bridge ${made.device}` : ""}): ${made.state}\n`);
    });

  network.command("rm").alias("remove").description("remove a network added with `vmctl network create`, with everything vmctld made for it").argument("<name>")
    .action(async (name: string) => {
      const removed = await client().removeNetwork(name);
      if (json()) return printJson(removed);
      process.stdout.write(`removed network ${removed.name}\n`);
    });
}
