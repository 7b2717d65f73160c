// Relays one client WebSocket to a VM's socket on its host: frames both ways as they are (text and
// binary), close codes passed on, each side paused while the other is slow. A serial console whose
// host socket ends because the VM moved (live migration, or its desired host changed) stays open:
// the relay waits for the new owner, mints a ticket there as the same user and attaches again, so
// the client sees the guest's output go on.
import type WebSocket from "ws";
import { BINARY_CONSOLE_PROTOCOL, wsCloseCodeOf, type VmSummary } from "@vmctl/api-types";
import { CENTER_PRINCIPAL, type CenterContext, type ClusterPrincipal } from "../center-context.js";
import { keys, type DesiredVm, type ObservedVm, type UserRecord } from "../cluster-keys.js";
import { lowerRole } from "../server/auth-store.js";
import { openHostSocket, type Frame, type HostSocket } from "./host-socket.js";
import type { TicketPurpose } from "./tickets.js";

/** How long a console waits for its VM to show up on its new host. */
export const REATTACH_TIMEOUT_MS = 60_000;
const REATTACH_POLL_MS = 300;
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
/** What the client may type while no host socket is attached (a re-attach); more is dropped. */
const MAX_QUEUED_INPUT = 256 * 1024;
/** How often an open relay checks that its user still exists, is enabled and keeps the role. */
const USER_RECHECK_MS = 30_000;
const ROLE_RANK: Record<string, number> = { ReadOnly: 1, Operator: 2, Admin: 3 };

export interface RelayOptions {
  vm: string;
  uuid: string;
  purpose: TicketPurpose;
  /** The subprotocol both sides speak ("" for none). */
  protocol: string;
  as: ClusterPrincipal;
}

/** A close code that may be sent (RFC 6455 7.4): 1005/1006/1015 are never on the wire. */
export function sendableCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006) return wsCloseCodeOf("host_unreachable");
  if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return 1011;
}

function shortReason(reason: string): string {
  const buffer = Buffer.from(reason);
  return buffer.length <= 123 ? reason : buffer.subarray(0, 120).toString("utf8").replace(/\uFFFD+$/, "");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bounded<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); });
  try {
    return await Promise.race([work, late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export class SocketRelay {
  private upstream: HostSocket | null;
  private queued: Frame[] = [];
  private queuedBytes = 0;
  /** A JSON console's eof, held back until the host socket's close says whether the VM moved. */
  private heldEof: Frame | null = null;
  private ended = false;
  private readonly recheck: NodeJS.Timeout;

  constructor(private readonly ctx: CenterContext, private readonly client: WebSocket, first: HostSocket, private readonly options: RelayOptions) {
    this.upstream = first;
    // A user removed, disabled or demoted at vmcenter loses the sockets vmcenter relays for them.
    this.recheck = setInterval(() => void this.recheckUser(), USER_RECHECK_MS);
    this.recheck.unref();
    client.on("message", (raw, binary) => this.fromClient({ data: Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer), binary }));
    client.on("close", (code, reason) => this.clientClosed(code, reason.toString()));
    client.on("error", () => {});
    this.attach(first);
  }

  private get survives(): boolean {
    return this.options.purpose === "console";
  }

  private attach(host: HostSocket): void {
    this.upstream = host;
    const socket = host.socket;
    socket.on("close", (code, reason) => void this.upstreamClosed(host, code, reason.toString()));
    host.take((frame) => this.fromHost(frame));
    for (const frame of this.queued) socket.send(frame.data, { binary: frame.binary });
    this.queued = [];
    this.queuedBytes = 0;
  }

  private fromHost(frame: Frame): void {
    if (this.ended || this.client.readyState !== this.client.OPEN) return;
    if (this.survives && !frame.binary && this.options.protocol !== BINARY_CONSOLE_PROTOCOL && frame.data.includes('"eof":true')) {
      try {
        const message = JSON.parse(frame.data.toString()) as { type?: string; data?: { eof?: boolean } };
        if (message.type === "console" && message.data?.eof === true) {
          this.heldEof = frame;
          return;
        }
      } catch {
        // not JSON: passed on as it is
      }
    }
    this.flushEof();
    this.send(this.client, frame, this.upstream?.socket);
  }

  private fromClient(frame: Frame): void {
    if (this.ended) return;
    const socket = this.upstream?.socket;
    if (socket && socket.readyState === socket.OPEN) {
      this.send(socket, frame, this.client);
      return;
    }
    // Between two hosts: keep a little of what the client types, for the next host.
    if (this.queuedBytes + frame.data.length > MAX_QUEUED_INPUT) return;
    this.queued.push(frame);
    this.queuedBytes += frame.data.length;
  }

  /** Sends, pausing the source while the destination's buffer is over the high-water mark. */
  private send(to: WebSocket, frame: Frame, source: WebSocket | undefined): void {
    to.send(frame.data, { binary: frame.binary }, () => {
      if (source?.isPaused && to.bufferedAmount < LOW_WATER) source.resume();
    });
    if (source && !source.isPaused && to.bufferedAmount > HIGH_WATER) source.pause();
  }

  private flushEof(): void {
    if (!this.heldEof) return;
    const frame = this.heldEof;
    this.heldEof = null;
    if (this.client.readyState === this.client.OPEN) this.client.send(frame.data, { binary: false });
  }

  private async recheckUser(): Promise<void> {
    const record = await this.ctx.store.get<UserRecord>(keys.user(this.options.as.user)).catch(() => undefined);
    if (record === undefined || this.ended) return; // etcd unreachable: a blip never cuts a console
    if (!record?.value || record.value.disabled) this.end(wsCloseCodeOf("unauthenticated"), "the user no longer exists or is disabled");
    else if ((ROLE_RANK[record.value.role] ?? 0) < (ROLE_RANK[this.options.as.role] ?? 0)) this.end(wsCloseCodeOf("forbidden"), "the user's role changed");
  }

  private clientClosed(code: number, reason: string): void {
    this.ended = true;
    clearInterval(this.recheck);
    const socket = this.upstream?.socket;
    if (socket && (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)) socket.close(sendableCode(code), shortReason(reason));
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.recheck);
    const socket = this.upstream?.socket;
    if (socket && socket.readyState === socket.OPEN) socket.close(1000, "vmcenter ended the relay");
    this.flushEof();
    if (this.client.isPaused) this.client.resume();
    if (this.client.readyState === this.client.OPEN) this.client.close(sendableCode(code), shortReason(reason));
  }

  private async upstreamClosed(host: HostSocket, code: number, reason: string): Promise<void> {
    if (this.ended || this.upstream !== host) return;
    this.upstream = null;
    if (this.client.isPaused) this.client.resume();
    // 4401: the host ended it as the cluster token behind its ticket expired (they live at most 10
    // minutes); the user, checked again by reattach, gets a fresh ticket on the same socket.
    const expired = code === 4401;
    if (!this.survives || (code !== 1000 && !expired) || (!expired && !(await this.isMoving(host)))) {
      this.end(code, reason);
      return;
    }
    this.ctx.logger.info({ vm: this.options.vm, from: host.hostId, user: this.options.as.user }, expired ? "console's host socket ended with its cluster token: re-attaching with a fresh ticket" : "console's host socket ended while the VM moves: re-attaching at its new host");
    this.heldEof = null;
    const next = await this.reattach(host.hostId);
    if (this.ended) {
      next?.socket.close(1000, "client gone");
      return;
    }
    if (!next) {
      this.end(1000, "console ended");
      return;
    }
    this.attach(next);
  }

  private async desired(): Promise<DesiredVm | null> {
    return (await bounded(this.ctx.store.get<DesiredVm>(keys.desired(this.options.uuid)), 3000))?.value ?? null;
  }

  private async observed(): Promise<ObservedVm | null> {
    return (await bounded(this.ctx.store.get<ObservedVm>(keys.observed(this.options.uuid)), 3000))?.value ?? null;
  }

  /**
   * The VM as `hostId` lists it: its summary, "gone" when that host does not have it, undefined when
   * unknown. vmcenter asks as itself: what it learns decides the relay and never reaches the client.
   */
  private async onHost(hostId: string): Promise<VmSummary | "gone" | undefined> {
    try {
      const client = await this.ctx.hosts.client(hostId, CENTER_PRINCIPAL);
      return await bounded(client.getVm(this.options.vm).then((vm) => vm as VmSummary, (error: { code?: string }) => (error.code === "vm_not_found" ? "gone" as const : undefined)), 3000);
    } catch {
      return undefined;
    }
  }

  /** Whether `hostId` runs (or, since `since`, ran) a live migration of the VM away (its vm.migrate_out task). */
  private async migratingOut(hostId: string, since: number): Promise<boolean> {
    try {
      const client = await this.ctx.hosts.client(hostId, CENTER_PRINCIPAL);
      const tasks = await bounded(client.listTasks({ target: `vm/${this.options.vm}`, limit: 20 }), 3000);
      return (tasks ?? []).some((task) => task.op === "vm.migrate_out"
        && (task.state === "running" || task.state === "queued" || (task.state === "success" && task.endedAt !== null && Date.parse(task.endedAt) >= since)));
    } catch {
      return false;
    }
  }

  /** Whether the VM is moving or has moved off `host`, as its socket there ended. */
  private async isMoving(host: HostSocket): Promise<boolean> {
    const desired = await this.desired();
    if (!desired) return false;
    if (desired.host !== host.hostId) return true;
    const observed = await this.observed();
    if (observed && (observed.host !== host.hostId || observed.summary.state === "migrating")) return true;
    // The source ends its QEMU (the VM "stopped", "migrated to host …") before it lets the VM go.
    const here = await this.onHost(host.hostId);
    if (here === "gone" || (typeof here === "object" && here.state === "migrating")) return true;
    return this.migratingOut(host.hostId, host.openedAt);
  }

  /**
   * The user as vmcenter knows them now (a user removed or disabled meanwhile is not re-attached),
   * never above what the socket was opened with: a ReadOnly token of an Admin stays ReadOnly.
   */
  private async currentUser(): Promise<ClusterPrincipal | null> {
    const { as } = this.options;
    const record = await bounded(this.ctx.store.get<UserRecord>(keys.user(as.user)), 3000);
    if (!record?.value || record.value.disabled) return null;
    return { ...as, role: lowerRole(as.role, record.value.role) };
  }

  /** Waits for the VM to run on another host (or on the same one again), then opens its console there. */
  private async reattach(fromHost: string): Promise<HostSocket | null> {
    const deadline = Date.now() + REATTACH_TIMEOUT_MS;
    while (!this.ended && Date.now() < deadline) {
      const desired = await this.desired();
      if (!desired) return null; // destroyed
      const observed = await this.observed();
      // The new owner's agent reports the VM (observed) before vmcenter's task rewrites desired.
      const target = desired.host !== fromHost ? desired.host : observed && observed.host !== fromHost ? observed.host : fromHost;
      const as = await this.currentUser();
      if (!as) {
        this.end(wsCloseCodeOf("unauthenticated"), "the user no longer exists or is disabled");
        return null;
      }
      const there = await this.onHost(target);
      if (typeof there === "object" && (there.state === "running" || there.state === "paused")) {
        try {
          return await openHostSocket(this.ctx, { hostId: target, as, vm: this.options.vm, purpose: "console", protocol: this.options.protocol || false });
        } catch (error) {
          this.ctx.logger.info({ vm: this.options.vm, host: target, err: error }, "re-attaching the console failed; retrying");
        }
      }
      await sleep(REATTACH_POLL_MS);
    }
    return null;
  }
}
