// vmctl cluster hosts|vms|migrate|maintenance|rules|place|info|demo: vmcenter's view of many hosts
// (--url https://center… or VMCTL_URL). Long actions are cluster tasks, followed to their end with
// their log and progress; Ctrl-C during a migration cancels it (the VM stays where it was).
import type { Command } from "commander";
import type { ClusterMigrateRequest, ClusterMigrateResult, MaintenanceResult, RuleType } from "@vmctl/api-types";
import { ApiError, type VmctlClient } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";
import { followClusterTask } from "../task-follow.js";
import { clusterVmsTable, hostNames, hostsTable, infoLines, maintenanceLines, migrationLine, placementReport, rulesTable, type HostNames } from "./cluster-tables.js";

/** Host names for a result's ids; the ids themselves when the hosts cannot be listed. */
async function namesOf(client: VmctlClient): Promise<HostNames> {
  return hostNames(await client.cluster.hosts().catch(() => []));
}

/**
 * A plain host has no cluster routes: its 404 "no route" becomes what to do instead. Other 404s
 * (no such VM, no such host) stay as vmcenter said them.
 */
export function notCluster(error: unknown): unknown {
  if (error instanceof ApiError && error.status === 404 && error.code === "not_found" && error.message.startsWith("no route")) {
    return new CliError("this server is a vmctl host, not vmcenter: `vmctl cluster` talks to vmcenter; give its URL with --url https://center:PORT (or VMCTL_URL)", "not_a_cluster");
  }
  return error;
}

/** An action whose errors pass through notCluster. */
function atCenter<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      throw notCluster(error);
    }
  };
}

function parseOnOff(value: string): boolean {
  if (value === "on" || value === "off") return value === "on";
  throw new CliError(`maintenance: "${value}" is neither on nor off`, "bad_request", 2);
}

export function registerCluster(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const client = () => clientFor(globals());
  const cluster = program.command("cluster").description("the hosts of a vmcenter cluster (--url https://center:PORT or VMCTL_URL), their VMs, migration, maintenance and placement rules");

  cluster.command("info").description("the cluster's id, its leading vmcenter replica and the others")
    .action(atCenter(async () => {
      const info = await client().cluster.info();
      if (json()) return printJson(info);
      process.stdout.write(infoLines(info));
    }));

  cluster.command("hosts").description("the hosts with their state, resources, load and tags")
    .action(atCenter(async () => {
      const hosts = await client().cluster.hosts();
      if (json()) return printJson(hosts);
      if (hosts.length === 0) return void process.stdout.write("no hosts have joined; on a host: vmctld --join URL --join-token TOKEN\n");
      const { headers, rows } = hostsTable(hosts);
      printTable(headers, rows);
    }));

  cluster.command("vms").description("the VMs of every host, with the host each runs on")
    .action(atCenter(async () => {
      const vms = await client().cluster.vms();
      if (json()) return printJson(vms);
      if (vms.length === 0) return void process.stdout.write("no VMs in the cluster; `vmctl create NAME` at vmcenter places one\n");
      const { headers, rows } = clusterVmsTable(vms);
      printTable(headers, rows);
    }));

  cluster.command("migrate").description("move a VM to another host: live while it runs (it keeps running), else cold; Ctrl-C cancels")
    .argument("<vm>")
    .option("--host <host>", "the target host (name or id); default: where placement chooses (see `vmctl cluster place VM`)")
    .option("--cold", "stop a running VM, move it and start it on the target instead of moving it live")
    .option("--no-wait", "return once the task is submitted")
    .action(atCenter(async (vm: string, options: { host?: string; cold?: boolean; wait: boolean }) => {
      const api = client();
      const request: ClusterMigrateRequest = { ...(options.host ? { host: options.host } : {}), ...(options.cold ? { live: false } : {}) };
      const task = await api.cluster.migrate(vm, request);
      if (!options.wait) return json() ? printJson(task) : void process.stdout.write(`${vm}: migration submitted as task ${task.id}\n`);
      const ended = await followClusterTask(api, vm, task, json(), async () => {
        process.stderr.write(`\ncancelling the migration of ${vm} (it stays where it was; Ctrl-C again leaves without waiting)\n`);
        await api.cluster.cancelTask(task.id);
      });
      if (json()) return printJson(ended);
      process.stdout.write(`${migrationLine(vm, ended.result as ClusterMigrateResult, await namesOf(api))}\n`);
    }));

  cluster.command("maintenance").description("on: move every VM away (live where they run), then mark the host unschedulable; off: back in service")
    .argument("<host>", "the host's name or id")
    .argument("<state>", "on or off")
    .option("--no-wait", "return once the task is submitted")
    .action(atCenter(async (host: string, state: string, options: { wait: boolean }) => {
      const enabled = parseOnOff(state);
      const api = client();
      const task = await api.cluster.maintenance(host, enabled);
      if (!options.wait) return json() ? printJson(task) : void process.stdout.write(`${host}: maintenance ${state} submitted as task ${task.id}\n`);
      const ended = await followClusterTask(api, host, task, json());
      if (json()) return printJson(ended);
      const lines = maintenanceLines(ended.result as MaintenanceResult, await namesOf(api));
      process.stdout.write(lines.map((line) => `${line}\n`).join(""));
    }));

  cluster.command("place").description("where placement would put a VM now, and why each host is chosen or not")
    .argument("<vm>")
    .action(atCenter(async (vm: string) => {
      const answer = await client().cluster.placement(vm);
      if (json()) return printJson(answer);
      const { summary, table } = placementReport(answer);
      process.stdout.write(`${summary}\n`);
      printTable(table.headers, table.rows);
    }));

  const rules = cluster.command("rules").description("placement rules: affinity keeps VMs on one host, anti-affinity on different hosts");
  rules.command("ls", { isDefault: true }).alias("list").description("list the rules (also `vmctl cluster rules`)")
    .action(atCenter(async () => {
      const list = await client().cluster.rules();
      if (json()) return printJson(list);
      if (list.length === 0) return void process.stdout.write("no placement rules; `vmctl cluster rules add NAME --anti-affinity VM VM…` makes one\n");
      const { headers, rows } = rulesTable(list);
      printTable(headers, rows);
    }));
  rules.command("add").description("create (or replace) a rule between two or more VMs (they need not exist yet)")
    .argument("<name>", "the rule's name")
    .argument("<vm...>", "two or more VM names")
    .option("--affinity", "keep these VMs on one host")
    .option("--anti-affinity", "keep these VMs on different hosts")
    .action(atCenter(async (name: string, vms: string[], options: { affinity?: boolean; antiAffinity?: boolean }) => {
      if (options.affinity === options.antiAffinity) throw new CliError("give one of --affinity (on one host) or --anti-affinity (on different hosts)", "bad_request", 2);
      if (vms.length < 2) throw new CliError(`a rule needs two or more VMs; "${name}" names ${vms.length}`, "bad_request", 2);
      const type: RuleType = options.affinity ? "affinity" : "anti-affinity";
      const rule = await client().cluster.putRule({ name, type, vms });
      if (json()) return printJson(rule);
      process.stdout.write(`rule ${rule.name}: ${rule.type} between ${rule.vms.join(", ")}\n`);
    }));
  rules.command("rm").alias("remove").description("remove a rule (the VMs stay where they are)")
    .argument("<name>")
    .action(atCenter(async (name: string) => {
      const removed = await client().cluster.removeRule(name);
      if (json()) return printJson(removed);
      process.stdout.write(`removed rule ${removed.name}\n`);
    }));

  cluster.command("demo").description("start etcd, a vmcenter and N hosts on this machine (loopback ports, a shared datastore); prints how to reach them as JSON; Ctrl-C or SIGTERM stops them all")
    .requiredOption("--hosts <n>", "how many hosts (vmctld), 1 to 16")
    .requiredOption("--dir <dir>", "where their homes, etcd's data and the certificates go (may exist, empty)")
    .action(async (options: { hosts: string; dir: string }) => {
      // Its own module, which alone loads @vmctl/center/demo: no other command pays for it.
      const { runDemoCommand } = await import("./cluster-demo.js");
      await runDemoCommand(options, json());
    });
}
