// vmctl nic ls|add|rm|link: a VM's NICs, changed live over QMP while it runs and always written to
// its definition (MACs allocated unique on the host).
import { Argument, Option, type Command } from "commander";
import { NIC_MODELS, UNICAST_MAC_PATTERN, type NicAddRequest, type NicInfo } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";

const MAC = new RegExp(UNICAST_MAC_PATTERN);

function printNics(nics: NicInfo[]): void {
  printTable(["ID", "NETWORK", "MODEL", "MAC", "LINK", "TAP", "IP"], nics.map((n) => [
    n.id, n.network, n.model, n.mac, n.link, n.tap ?? "-", n.addresses.join(",") || "-",
  ]));
}

interface AddOptions { network: string; model?: NicAddRequest["model"]; mac?: string; id?: string }

export function registerNic(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const nic = program.command("nic").description("a VM's NICs: list, add, remove (hot-plug while it runs), link up or down");

  nic.command("ls").alias("list").description("list a VM's NICs with their MACs, links and, while it runs, taps and addresses").argument("<vm>")
    .action(async (vm: string) => {
      const nics = await clientFor(globals()).listNics(vm);
      if (json()) return printJson(nics);
      if (nics.length === 0) {
        process.stdout.write(`${vm} has no NICs; \`vmctl nic add ${vm} --network default\` adds one\n`);
        return;
      }
      printNics(nics);
    });

  nic.command("add").description("add a NIC on a host network; hot-plugged into a running VM").argument("<vm>")
    .requiredOption("--network <name>", "the host network (`vmctl network ls`)")
    .addOption(new Option("--model <model>", "the NIC model (default: virtio)").choices([...NIC_MODELS]))
    .option("--mac <mac>", "a unicast MAC no other NIC on this host has (default: allocated)")
    .option("--id <id>", "the NIC's id (default: the next free netN)")
    .action(async (vm: string, options: AddOptions) => {
      if (options.mac !== undefined && !MAC.test(options.mac)) throw new CliError(`--mac: "${options.mac}" is not a unicast MAC address; write e.g. 52:54:00:12:34:56, or leave it out`, "bad_request", 2);
      const request: NicAddRequest = {
        network: options.network,
        ...(options.model !== undefined ? { model: options.model } : {}),
        ...(options.mac !== undefined ? { mac: options.mac } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
      };
      const added = await clientFor(globals()).addNic(vm, request);
      if (json()) return printJson(added);
      process.stdout.write(`added ${added.id} to ${vm}: ${added.model} on ${added.network}, MAC ${added.mac}${added.tap ? `, tap ${added.tap}` : ""}\n`);
    });

  nic.command("rm").alias("remove").description("remove a NIC (hot-unplugged from a running VM, which must let it go)").argument("<vm>").argument("<id>")
    .action(async (vm: string, id: string) => {
      const removed = await clientFor(globals()).removeNic(vm, id);
      if (json()) return printJson(removed);
      process.stdout.write(`removed ${id} (${removed.mac}) from ${vm}\n`);
    });

  nic.command("link").description("set a NIC's link up or down (as if the cable were plugged in or pulled); kept for the next start").argument("<vm>").argument("<id>")
    .addArgument(new Argument("<state>", "up or down").choices(["up", "down"]))
    .action(async (vm: string, id: string, state: string) => {
      if (state !== "up" && state !== "down") throw new CliError(`state: "${state}" is neither up nor down`, "bad_request", 2);
      const changed = await clientFor(globals()).setNicLink(vm, id, state);
      if (json()) return printJson(changed);
      process.stdout.write(`link of ${id} on ${vm} is ${changed.link}\n`);
    });
}
