// /ws/vms/:name: `status` on connect and on every change, `metrics` every few seconds while QEMU
// runs, and `command` messages (start|stop|restart|suspend|resume) answered by a `response` that
// carries the command's requestId once the work has ended.
import { readStartedWith } from "../domain/pending-changes.js";
import type { ApiApp } from "./api-app.js";
import type { WebSocket } from "ws";
import { VmNameParamsSchema, wsErrorAnswer, type PowerAction, type VmState, type VmctlEvent, WS_COMMAND_ACTIONS, type ProtocolStatus, type WsCommandAction } from "@vmctl/api-types";
import type { Host } from "../host.js";
import type { VmMetricsSampler } from "@vmctl/qemu";
import { parseClientMessage, clientData, send, sendError, wsTimestamp, closedForUnknownVm } from "./ws-message.js";
import { userOf } from "./request-user.js";
import { can, type Principal } from "../security/principal.js";

export const METRICS_INTERVAL_MS = 2000;
/** Commands one connection may have under way: each is a task and a wait, so a flood must not pile them up. */
export const MAX_COMMANDS_IN_FLIGHT = 8;

const WS_COMMANDS: Record<WsCommandAction, PowerAction> = { start: "start", stop: "stop", restart: "restart", suspend: "suspend", resume: "resume" };

/** vmctl's states on the protocol's coarser ones; the exact one travels as `state`. */
export function protocolStatus(state: VmState): ProtocolStatus {
  switch (state) {
    case "running": case "starting": case "snapshotting": case "migrating": case "cloning": return "running";
    case "paused": case "suspended": return "paused";
    case "stopping": return "shutdown";
    // An export reads the disks of a stopped VM.
    case "stopped": case "exporting": return "stopped";
    case "crashed": return "crashed";
  }
}

export function registerMonitorRoutes(app: ApiApp, host: Host): void {
  app.get("/ws/vms/:name", { websocket: true, schema: { params: VmNameParamsSchema, hide: true } }, (socket, request) => {
    const { name } = request.params;
    if (closedForUnknownVm(socket, host.inventory.has(name), name)) return;
    const user = userOf(request);
    const sendStatus = () => {
      const rt = host.runtimes.get(name);
      const uptime = rt.startedAt && (rt.state === "running" || rt.state === "paused") ? Math.floor((Date.now() - Date.parse(rt.startedAt)) / 1000) : 0;
      send(socket, "status", { status: protocolStatus(rt.state), state: rt.state, lastStateChange: wsTimestamp(new Date(rt.lastChange)), uptime });
    };
    const onEvent = (event: VmctlEvent) => {
      if (event.vm === name && event.type === "vm.state") sendStatus();
    };
    host.events.on("event", onEvent);
    sendStatus();

    let sampler: { proc: unknown; sampler: VmMetricsSampler } | undefined;
    const timer = setInterval(() => {
      const rt = host.runtimes.get(name);
      const def = host.inventory.get(name).def;
      if (!rt.process || !def) { sampler = undefined; return; }
      // The taps as the definition has them now: a NIC hot-plugged or unplugged since counts from then.
      const taps = () => {
        const now = host.inventory.find(name)?.def;
        return now ? host.networks.nicTaps({ name, uuid: now.uuid, def: now }) : {};
      };
      if (sampler?.proc !== rt.process) {
        // Measured against what QEMU was started with: CPUs or memory changed since wait for the next start.
        const startedWith = readStartedWith(rt.process.files.dir);
        const vcpus = Number(startedWith?.fields.cpus) || def.cpus;
        sampler = { proc: rt.process, sampler: rt.process.metricsSampler({ vcpus, memoryBytes: startedWith?.memoryBytes ?? def.memoryBytes, taps }) };
      }
      void sampler.sampler.sample().then((metrics) => send(socket, "metrics", metrics));
    }, METRICS_INTERVAL_MS);

    socket.on("close", () => {
      clearInterval(timer);
      host.events.off("event", onEvent);
    });
    let inFlight = 0;
    socket.on("message", (raw, isBinary) => {
      const message = parseClientMessage(socket, raw, isBinary);
      if (!message) return;
      if (inFlight >= MAX_COMMANDS_IN_FLIGHT) {
        sendError(socket, "rate_limited", `${MAX_COMMANDS_IN_FLIGHT} commands are still under way on this connection; wait for their responses`);
        return;
      }
      inFlight++;
      void handleCommand(host, socket, name, user, request.principal, message).finally(() => inFlight--);
    });
  });
}

async function handleCommand(host: Host, socket: WebSocket, name: string, user: string, principal: Principal | null, message: { type: string; data: Record<string, unknown> }): Promise<void> {
  const { action, requestId } = message.data;
  if (message.type !== "command" || typeof requestId !== "string" || requestId.length > 128 || typeof action !== "string") {
    sendError(socket, "bad_request", 'expected {"type":"command","data":{"action":"start|stop|restart|suspend|resume","requestId":"<id>"}}');
    return;
  }
  const respond = (success: boolean, text: string) => send(socket, "response", { requestId, success, message: text });
  if (!principal || !can(principal, "vm.power", name)) {
    respond(false, `${user} may watch this VM but not change its power state (needs "vm.power")`);
    return;
  }
  // Well-formed enough to answer by its requestId; the declared schema (ws-wire.ts) says whether the action is one.
  const command = clientData(message, "command");
  if (!command) {
    respond(false, `unknown action "${action}"; one of ${WS_COMMAND_ACTIONS.join(", ")}`);
    return;
  }
  const power = WS_COMMANDS[command.action];
  try {
    const task = host.power.request(name, { action: power }, user);
    const ended = await host.tasks.wait(task.id, 3600_000);
    if (ended.state === "success") respond(true, `${action} done (task ${task.id})`);
    else respond(false, ended.error?.message ?? `${action} ${ended.state}`);
  } catch (error) {
    respond(false, wsErrorAnswer(error).message);
  }
}
