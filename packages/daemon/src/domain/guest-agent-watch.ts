// What the QEMU guest agent of each running VM says, kept up to date in the background (never per
// request: a GET must not wait on a guest): whether one answers, the OS name and version, the
// hostname and each interface's addresses (the address provider of vm-addresses.ts). Power,
// snapshots and the password route ask `agentOf` for an agent that answers right now.
// Everything here comes from the guest: lengths, counts and formats are checked before use.
import { isIP } from "node:net";
import type { Logger } from "pino";
import type { VmAgent } from "@vmctl/api-types";
import type { GuestAgent, VmHandle } from "@vmctl/qemu";
import type { RuntimeTable } from "./vm-runtime.js";
import type { AddressProvider } from "./vm-addresses.js";

export interface AgentFacts {
  connected: boolean;
  os?: { name: string; version: string };
  hostname?: string;
  interfaces: Array<{ mac: string; ips: string[] }>;
}

export interface GuestAgentWatchDeps {
  runtimes: RuntimeTable;
  /** The VMs vmctld knows (their runtimes tell which run). */
  names: () => string[];
  /** Told when what a listing shows changes (the list cache's version moves). */
  changed: () => void;
  log: Logger;
  /** How often each running VM is asked (default 5 s). */
  intervalMs?: number;
}

const NOT_CONNECTED: AgentFacts = Object.freeze({ connected: false, interfaces: [] }) as AgentFacts;
const MAX_TEXT = 128;
const MAX_INTERFACES = 32;
const MAX_IPS = 16;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A guest's string: printable, bounded; undefined when it is not a string or is empty. */
function text(value: unknown, max = MAX_TEXT): string | undefined {
  if (typeof value !== "string") return undefined;
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim().slice(0, max);
  return clean || undefined;
}

/** guest-network-get-interfaces' answer, as vmctld keeps it: per MAC its addresses, loopback left out. */
export function readInterfaces(answer: unknown): AgentFacts["interfaces"] {
  if (!Array.isArray(answer)) return [];
  const out: AgentFacts["interfaces"] = [];
  for (const item of answer.slice(0, MAX_INTERFACES)) {
    if (typeof item !== "object" || item === null) continue;
    const mac = typeof (item as { "hardware-address"?: unknown })["hardware-address"] === "string" ? ((item as { "hardware-address": string })["hardware-address"]).toLowerCase() : "";
    if (!MAC.test(mac) || mac === "00:00:00:00:00:00") continue;
    const raw = (item as { "ip-addresses"?: unknown })["ip-addresses"];
    const ips: string[] = [];
    for (const address of Array.isArray(raw) ? raw.slice(0, MAX_IPS) : []) {
      const ip = typeof address === "object" && address !== null ? (address as { "ip-address"?: unknown })["ip-address"] : undefined;
      if (typeof ip !== "string" || ip.length > 64 || isIP(ip) === 0 || ip.startsWith("127.") || ip === "::1") continue;
      ips.push(ip);
    }
    out.push({ mac, ips });
  }
  return out;
}

/** guest-get-osinfo's name and version ("Debian GNU/Linux", "12 (bookworm)"). */
export function readOs(answer: unknown): AgentFacts["os"] {
  if (typeof answer !== "object" || answer === null) return undefined;
  const info = answer as Record<string, unknown>;
  const name = text(info.name) ?? text(info["pretty-name"]) ?? text(info.id);
  if (!name) return undefined;
  return { name, version: text(info.version) ?? text(info["version-id"]) ?? "" };
}

export class GuestAgentWatch implements AddressProvider {
  readonly source = "agent" as const;
  private readonly facts = new Map<string, { proc: VmHandle; facts: AgentFacts }>();
  private readonly polling = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: GuestAgentWatchDeps) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.deps.intervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last facts of a VM's current QEMU (not connected when it has none, or a new one not asked yet). */
  factsOf(name: string): AgentFacts {
    const rt = this.deps.runtimes.get(name);
    const known = this.facts.get(name);
    if (!rt.process || known?.proc !== rt.process) return NOT_CONNECTED;
    return known.facts;
  }

  /** The wire's agent: connected only for a listing, the OS and hostname too for a VM's detail. */
  wire(name: string, detail: boolean): VmAgent {
    const facts = this.factsOf(name);
    if (!detail || !facts.connected) return { connected: facts.connected };
    return { connected: true, ...(facts.os ? { os: facts.os } : {}), ...(facts.hostname ? { hostname: facts.hostname } : {}) };
  }

  addressesOf(vm: string): ReadonlyArray<{ mac: string; ips: readonly string[] }> | undefined {
    const facts = this.factsOf(vm);
    return facts.connected ? facts.interfaces : undefined;
  }

  /**
   * The VM's agent when one answers now (a fresh check, a few seconds at most), else undefined.
   * `patienceMs`: while the guest has the channel open, keep asking that long (a guest just
   * resumed or reverted takes a moment to answer); a closed channel is no agent at once.
   */
  async agentOf(name: string, patienceMs = 0): Promise<GuestAgent | undefined> {
    const agent = this.deps.runtimes.get(name).process?.agent;
    if (!agent) return undefined;
    const deadline = Date.now() + patienceMs;
    for (;;) {
      if (await agent.connected()) return agent;
      if (Date.now() >= deadline || !(await agent.channelOpen())) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Asks the VM again now (after a start, a resume, a revert), without waiting for the next tick. */
  poke(name: string): void {
    void this.poll(name);
  }

  private tick(): void {
    for (const name of this.deps.names()) void this.poll(name);
    // Forget VMs whose QEMU has gone.
    for (const [name, known] of this.facts) {
      if (this.deps.runtimes.get(name).process !== known.proc) {
        this.facts.delete(name);
        if (known.facts.connected) this.deps.changed();
      }
    }
  }

  private async poll(name: string): Promise<void> {
    const rt = this.deps.runtimes.get(name);
    const proc = rt.process;
    if (!proc?.agent || rt.state !== "running" || this.polling.has(name)) return;
    this.polling.add(name);
    try {
      const facts = await this.read(proc.agent);
      if (this.deps.runtimes.get(name).process !== proc) return;
      const before = this.facts.get(name);
      this.facts.set(name, { proc, facts });
      if (before?.proc !== proc || JSON.stringify(before.facts) !== JSON.stringify(facts)) {
        if (facts.connected !== (before?.facts.connected ?? false)) this.deps.log.info({ vm: name, os: facts.os?.name }, facts.connected ? "guest agent connected" : "guest agent not connected");
        this.deps.changed();
      }
    } catch (error) {
      this.deps.log.debug({ vm: name, err: error }, "asking the guest agent failed");
    } finally {
      this.polling.delete(name);
    }
  }

  private async read(agent: GuestAgent): Promise<AgentFacts> {
    if (!(await agent.connected())) return NOT_CONNECTED;
    // Each is optional in a guest (an agent may block commands): what fails is left out.
    const [os, host, interfaces] = await Promise.all([
      agent.osInfo().then(readOs, () => undefined),
      agent.hostName().then((answer) => text((answer as { "host-name"?: unknown } | null)?.["host-name"], 255), () => undefined),
      agent.networkInterfaces().then(readInterfaces, () => []),
    ]);
    return { connected: true, ...(os ? { os } : {}), ...(host ? { hostname: host } : {}), interfaces };
  }
}
