// vmctl port-forward add|ls|rm: a VM's port forwards, host port → guest port on its NIC of a nat
// network (vmctld checks ports, addresses and conflicts, and says what to fix).
import type { Command } from "commander";
import type { PortForward, PortForwardRequest } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";

/** "8080:80", "5353:53/udp" or "2222:22/tcp" → the request's ports and protocol. */
export function parseForwardSpec(spec: string): Pick<PortForwardRequest, "hostPort" | "guestPort" | "protocol"> {
  const match = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(spec);
  if (!match) throw new CliError(`"${spec}" is not a forward; write HOSTPORT:GUESTPORT or HOSTPORT:GUESTPORT/udp, e.g. 8080:80 or 5353:53/udp`, "bad_request", 2);
  return { hostPort: Number(match[1]), guestPort: Number(match[2]), protocol: (match[3] ?? "tcp") as "tcp" | "udp" };
}

const where = (f: PortForward) => `${f.hostAddress ?? "*"}:${f.hostPort}`;

export function registerPortForward(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const client = () => clientFor(globals());
  const forward = program.command("port-forward").description("a VM's port forwards: a host port that reaches a guest port on its nat network");

  forward.command("add").description("forward a host port to the VM (every host address, loopback included, unless --address)")
    .argument("<vm>").argument("<spec>", "HOSTPORT:GUESTPORT[/udp], e.g. 2222:22")
    .option("--address <ip>", "answer only on this host address, e.g. 127.0.0.1")
    .action(async (vm: string, spec: string, options: { address?: string }) => {
      const made = await client().addPortForward(vm, { ...parseForwardSpec(spec), ...(options.address ? { hostAddress: options.address } : {}) });
      if (json()) return printJson(made);
      process.stdout.write(`${made.id}: ${made.protocol} ${where(made)} → ${made.vm} ${made.guestAddress ?? "?"}:${made.guestPort} (nic ${made.nic}${made.active ? "" : ", not active until its network is up"})\n`);
    });

  forward.command("ls").alias("list").description("list the VM's port forwards").argument("<vm>").action(async (vm: string) => {
    const forwards = await client().listPortForwards(vm);
    if (json()) return printJson(forwards);
    printTable(["ID", "PROTO", "HOST", "GUEST", "NIC", "ACTIVE"], forwards.map((f) => [f.id, f.protocol, where(f), `${f.guestAddress ?? "?"}:${f.guestPort}`, f.nic, f.active ? "yes" : "no"]));
  });

  forward.command("rm").alias("remove").description("remove a port forward").argument("<vm>").argument("<id>").action(async (vm: string, id: string) => {
    const removed = await client().removePortForward(vm, id);
    if (json()) return printJson(removed);
    process.stdout.write(`removed port forward ${removed.id} (${removed.protocol} ${where(removed)})\n`);
  });
}
