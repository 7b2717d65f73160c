// vmctl ssh NAME [-l USER] [-i KEY] [-- ssh args]: logs in to a VM with the system's ssh, as the
// first user of its [cloud_init] unless -l says otherwise. The address is the VM's own (GET
// /vms/{name} addresses) when this machine routes to it, else a port forward to the guest's port 22
// on the host vmctld runs on (a remote vmctld, or a guest subnet this machine has no route to).
// The guest's host key is remembered under the VM's uuid (HostKeyAlias), not its address: DHCP
// hands the same address to other VMs later, and a new VM is a new key, not an attack.
import type { Command } from "commander";
import { spawn, execFileSync } from "node:child_process";
import type { PortForward, VmDetail } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";

interface SshOptions { login?: string; identity?: string; address?: string; port?: string; print?: boolean }

/** Where ssh connects and why there. */
export interface SshTarget { host: string; port: number; via: "address" | "port-forward" | "given" }

/** The user: -l, else the first [cloud_init] user; undefined when neither says. */
export function sshUser(vm: VmDetail, login: string | undefined): string | undefined {
  return login ?? vm.definition?.cloud_init?.users[0]?.name;
}

/** IPv4 a.b.c.d as a number, or null. */
function ipv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Whether `ip` is inside one of these routes' destinations (the connected and static ones, not a default route). */
export function routedLocally(ip: string, routes: readonly { dst: string }[]): boolean {
  const address = ipv4(ip);
  if (address === null) return false;
  return routes.some(({ dst }) => {
    if (dst === "default") return false;
    const [base, bits = "32"] = dst.split("/");
    const network = ipv4(base ?? "");
    const prefix = Number(bits);
    if (network === null || !Number.isInteger(prefix) || prefix < 1 || prefix > 32) return false;
    const size = 2 ** (32 - prefix);
    return Math.floor(address / size) === Math.floor(network / size);
  });
}

/** This machine's IPv4 routes (`ip -j route show table all`), or null when they cannot be read. */
function localRoutes(): { dst: string }[] | null {
  try {
    const text = execFileSync("ip", ["-j", "-4", "route", "show", "table", "all"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
    return (JSON.parse(text) as Array<{ dst?: string; type?: string }>).filter((r) => r.dst && (r.type === undefined || r.type === "unicast")).map((r) => ({ dst: r.dst! }));
  } catch {
    return null;
  }
}

/**
 * The target: --address (with --port) as given; else the VM's first IPv4 address when vmctld is
 * local and this machine routes to it; else a TCP port forward to guest port 22, on the forward's
 * host address or vmctld's host. Errors say what is missing and what to do.
 */
export function chooseTarget(vm: VmDetail, forwards: readonly PortForward[] | null, options: { address?: string; port?: number; vmctldHost: string | null; routes: readonly { dst: string }[] | null }): SshTarget {
  if (options.address) return { host: options.address, port: options.port ?? 22, via: "given" };
  const addresses = (vm.addresses ?? []).filter((a) => ipv4(a.ip) !== null);
  const local = options.vmctldHost === null;
  const reachable = addresses.find((a) => local && (options.routes === null || routedLocally(a.ip, options.routes)));
  if (reachable) return { host: reachable.ip, port: options.port ?? 22, via: "address" };
  const forward = (forwards ?? []).find((f) => f.guestPort === 22 && f.protocol === "tcp");
  if (forward) {
    // What the server says goes to ssh's argv: only an IPv4 address (a word starting with "-" would be an option).
    const host = forward.hostAddress && forward.hostAddress !== "0.0.0.0" && ipv4(forward.hostAddress) !== null ? forward.hostAddress : options.vmctldHost ?? "127.0.0.1";
    return { host, port: forward.hostPort, via: "port-forward" };
  }
  if (vm.state !== "running" && vm.state !== "paused") throw new CliError(`"${vm.name}" is ${vm.state}: start it first (\`vmctl start ${vm.name}\`)`, "vm_wrong_state");
  if (addresses.length === 0) {
    throw new CliError(`no address yet: the guest has not got a DHCP lease; wait or check \`vmctl show ${vm.name}\` (or give --address IP)`, "no_address");
  }
  const why = local ? `this machine has no route to ${addresses.map((a) => a.ip).join(", ")}` : `vmctld runs on another host (${options.vmctldHost}), which alone reaches ${addresses.map((a) => a.ip).join(", ")}`;
  throw new CliError(`${why}, and "${vm.name}" has no TCP port forward to its port 22; add one (\`vmctl port-forward add ${vm.name} 2222:22\`) or give --address IP [--port N]`, "no_route");
}

/** The names of the -o options among ssh args (-o Name=value, -oName=value, -o "Name value"), lower case. */
function optionsGiven(args: readonly string[]): Set<string> {
  const names = new Set<string>();
  args.forEach((arg, i) => {
    const value = arg === "-o" ? args[i + 1] : arg.startsWith("-o") ? arg.slice(2) : undefined;
    const name = value?.split(/[=\s]/)[0];
    if (name) names.add(name.toLowerCase());
  });
  return names;
}

/** The ssh command line: vmctl's defaults (which the user's own -o options override), then the user's arguments after the destination. */
export function sshCommand(target: SshTarget, user: string, vm: Pick<VmDetail, "name" | "uuid">, options: { identity?: string }, extra: readonly string[]): string[] {
  const given = optionsGiven(extra);
  const defaults: Array<[string, string]> = [
    // First use of a VM's key is trusted and remembered under its uuid; a changed key then is refused.
    ["HostKeyAlias", `vmctl-${vm.uuid ?? vm.name}`],
    ["StrictHostKeyChecking", "accept-new"],
  ];
  const args = ["ssh"];
  for (const [name, value] of defaults) if (!given.has(name.toLowerCase())) args.push("-o", `${name}=${value}`);
  if (options.identity) args.push("-i", options.identity, ...(given.has("identitiesonly") ? [] : ["-o", "IdentitiesOnly=yes"]));
  if (target.port !== 22) args.push("-p", String(target.port));
  if (target.host.startsWith("-")) throw new CliError(`"${target.host}" is no host to connect to (ssh would read it as an option); give --address IP`, "bad_request", 2);
  args.push("-l", user, target.host, ...extra);
  return args;
}

/** A command line as a shell would take it back. */
function shellQuote(args: readonly string[]): string {
  return args.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(" ");
}

export function registerSsh(program: Command, globals: () => GlobalOptions): void {
  program.command("ssh").description("log in to a VM with ssh, as its first [cloud_init] user (by its address, or a port forward to its port 22 when this machine cannot reach it); arguments after -- go to ssh (options, then a command)")
    .argument("<name>", "the VM")
    .argument("[ssh-args...]", "after --: ssh options and/or a command to run")
    .option("-l, --login <user>", "log in as this user (default: the first user of the VM's [cloud_init])")
    .option("-i, --identity <file>", "the private key ssh offers (as ssh -i)")
    .option("--address <ip>", "connect here instead of the address vmctld knows (a guest without a lease, a NAT of your own)")
    .option("--port <n>", "with --address: the port (default 22)")
    .option("--print", "print the ssh command instead of running it (--json prints it as an array, with the target)")
    .action(async (name: string, extra: string[], options: SshOptions) => {
      const json = globals().json ?? false;
      const client = clientFor(globals());
      const vm = await client.getVm(name);
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new CliError(`--port: "${options.port}" is not a port; give 1 to 65535`, "bad_request", 2);
      if (port !== undefined && !options.address) throw new CliError("--port goes with --address; without it the port is 22, or a port forward's", "bad_request", 2);
      const user = sshUser(vm, options.login);
      if (!user) {
        const hint = vm.definition?.cloud_init ? "its [cloud_init] names no user (keys alone go to the image's default user: debian on Debian, ubuntu on Ubuntu images)" : "it has no [cloud_init]";
        throw new CliError(`no user to log in as on "${name}": ${hint}; give -l USER`, "bad_request", 2);
      }
      // The server the client talks to (by clientFor's rule), or null for the local socket.
      const url = client.endpoint.url ?? null;
      const vmctldHost = url ? new URL(url).hostname.replace(/^\[|\]$/g, "") : null;
      const routes = vmctldHost === null ? localRoutes() : null;
      const direct = vmctldHost === null && (vm.addresses ?? []).some((a) => ipv4(a.ip) !== null && (routes === null || routedLocally(a.ip, routes)));
      // The forwards are asked for only when the address will not do.
      const lister = (client as unknown as { listPortForwards?: (vm: string) => Promise<PortForward[]> }).listPortForwards;
      const forwards = !options.address && !direct && lister ? await lister.call(client, name).catch(() => null) : null;
      const target = chooseTarget(vm, forwards, { ...(options.address ? { address: options.address } : {}), ...(port !== undefined ? { port } : {}), vmctldHost, routes });
      const command = sshCommand(target, user, vm, options.identity ? { identity: options.identity } : {}, extra);
      if (options.print || json) {
        if (json) printJson({ command, user, host: target.host, port: target.port, via: target.via });
        else process.stdout.write(`${shellQuote(command)}\n`);
        return;
      }
      const child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
      // Ctrl-C belongs to ssh (and the guest's shell) now, not to vmctl.
      const ignore = () => {};
      process.on("SIGINT", ignore);
      const code = await new Promise<number>((resolve, reject) => {
        child.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new CliError("ssh is not installed; install the OpenSSH client (`apt-get install openssh-client`)") : error));
        child.once("exit", (status, signal) => resolve(status ?? (signal ? 128 + 1 : 1)));
      }).finally(() => process.off("SIGINT", ignore));
      process.exitCode = code;
    });
}
