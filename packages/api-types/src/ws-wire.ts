// The WebSocket messages (shared/WS-PROTOCOL.md; docs/api.md): every JSON message is
// {type, timestamp, data}, timestamp in ISO 8601 with milliseconds and the zone offset.
// /ws/vms/{name} (monitor), /ws/vms/{name}/console, /ws/events, and the control messages of
// /ws/vms/{name}/vnc (whose data is RFB in binary frames). Each server message is declared once here;
// the client messages are validated against these schemas by vmctld.
import { Type, type Static, type TSchema, type TLiteral } from "@sinclair/typebox";
import { VM_STATES } from "./states.js";
import { literalUnion } from "./literal-union.js";
import { VmMetricsSchema } from "./metrics-wire.js";
import { EventSchema } from "./events-wire.js";

/** Subprotocols: JSON messages (the default), and the console's binary fast path (raw bytes both ways). */
export const JSON_PROTOCOL = "vmctl.json.v1";
export const BINARY_CONSOLE_PROTOCOL = "vmctl.console.binary.v1";

const message = <T extends string, D extends TSchema>(type: T, data: D) => Type.Object({
  type: Type.Literal(type) as TLiteral<T>,
  timestamp: Type.String({ description: "ISO 8601 with milliseconds and the zone offset, e.g. 2023-05-06T13:13:42.637-0400" }),
  data,
});

/** Sent on any endpoint when a message is refused or the endpoint cannot serve (then it closes). */
export const WsErrorDataSchema = Type.Object({ code: Type.String({ description: "a code from docs/errors.md" }), message: Type.String() });

export const PROTOCOL_STATUSES = ["running", "stopped", "paused", "shutdown", "crashed", "unknown"] as const;
export type ProtocolStatus = (typeof PROTOCOL_STATUSES)[number];
export const WsStatusDataSchema = Type.Object({
  status: literalUnion(PROTOCOL_STATUSES, { description: "the protocol's coarse status" }),
  state: literalUnion(VM_STATES, { description: "vmctl's exact state" }),
  lastStateChange: Type.String(),
  uptime: Type.Integer({ description: "seconds since the VM started (0 when it is not running)" }),
  console: Type.Optional(Type.Union([Type.Literal("waiting"), Type.Literal("attached")], { description: "on /ws/vms/{name}/console: waiting for the VM to start, or attached to its serial console" })),
  message: Type.Optional(Type.String({ description: "on /ws/vms/{name}/console: the same, in words" })),
});
export const WsResponseDataSchema = Type.Object({ requestId: Type.String(), success: Type.Boolean(), message: Type.String() });

export const WS_COMMAND_ACTIONS = ["start", "stop", "restart", "suspend", "resume"] as const;
export type WsCommandAction = (typeof WS_COMMAND_ACTIONS)[number];
export const WsCommandDataSchema = Type.Object({ action: literalUnion(WS_COMMAND_ACTIONS), requestId: Type.String({ minLength: 1, maxLength: 128 }) });

export const WsConsoleDataSchema = Type.Object({ content: Type.String({ description: "base64 of the bytes" }), eof: Type.Boolean({ description: "the console ended (the VM stopped)" }) });
export const WsConsoleInputDataSchema = Type.Object({ content: Type.String({ description: "base64 of the keystrokes" }) });
export const WsEventsPrunedDataSchema = Type.Object({ since: Type.Integer(), oldestKept: Type.Integer({ description: "retention pruned the events before this id" }) });

/** The data of each message vmctld sends, by type. */
export const WS_SERVER_DATA = {
  error: WsErrorDataSchema,
  status: WsStatusDataSchema,
  metrics: VmMetricsSchema,
  response: WsResponseDataSchema,
  console: WsConsoleDataSchema,
  event: EventSchema,
  events_pruned: WsEventsPrunedDataSchema,
};
export type WsServerType = keyof typeof WS_SERVER_DATA;
export type WsServerData<T extends WsServerType> = Static<(typeof WS_SERVER_DATA)[T]>;

/** The data of each message a client sends, by type. */
export const WS_CLIENT_DATA = {
  command: WsCommandDataSchema,
  console_input: WsConsoleInputDataSchema,
};
export type WsClientType = keyof typeof WS_CLIENT_DATA;
export type WsClientData<T extends WsClientType> = Static<(typeof WS_CLIENT_DATA)[T]>;

export const WsMonitorServerMessageSchema = Type.Union([message("status", WsStatusDataSchema), message("metrics", VmMetricsSchema), message("response", WsResponseDataSchema), message("error", WsErrorDataSchema)]);
export const WsMonitorClientMessageSchema = message("command", WsCommandDataSchema);
export const WsConsoleServerMessageSchema = Type.Union([message("console", WsConsoleDataSchema), message("status", WsStatusDataSchema), message("error", WsErrorDataSchema)]);
export const WsConsoleClientMessageSchema = message("console_input", WsConsoleInputDataSchema);
export const WsEventsServerMessageSchema = Type.Union([message("event", EventSchema), message("events_pruned", WsEventsPrunedDataSchema), message("error", WsErrorDataSchema)]);
/** /ws/vms/{name}/vnc carries RFB in binary frames; only a refusal comes as JSON text, before the close. */
export const WsVncServerMessageSchema = message("error", WsErrorDataSchema);

/** A message vmctld sends: `data` follows from `type`. */
export type WsServerMessage = { [T in WsServerType]: { type: T; timestamp: string; data: WsServerData<T> } }[WsServerType];
/** A message a client sends: `data` follows from `type`. */
export type WsClientMessage = { [T in WsClientType]: { type: T; timestamp?: string; data: WsClientData<T> } }[WsClientType];
export type WsMonitorServerMessage = Extract<WsServerMessage, { type: "status" | "metrics" | "response" | "error" }>;
export type WsConsoleServerMessage = Extract<WsServerMessage, { type: "console" | "status" | "error" }>;
export type WsEventsServerMessage = Extract<WsServerMessage, { type: "event" | "events_pruned" | "error" }>;
export type WsStatusData = WsServerData<"status">;
export type WsCommandData = WsClientData<"command">;
