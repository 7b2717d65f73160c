// The QMP events vmctl reacts to, read from an untyped QmpEvent into a closed union.
import type { QmpEvent } from "./qmp-client.js";
import type { MigrationStatus } from "./commands-migration.js";

export type ShutdownCause = "none" | "host-error" | "host-qmp-quit" | "host-qmp-system-reset" | "host-signal" | "host-ui" | "guest-shutdown" | "guest-reset" | "guest-panic" | "subsystem-reset" | "snapshot-load";

export type KnownQmpEvent =
  | { event: "SHUTDOWN"; guest: boolean; reason: ShutdownCause | string }
  | { event: "STOP" }
  | { event: "RESUME" }
  | { event: "RESET"; guest: boolean }
  | { event: "GUEST_PANICKED"; action: string; info: Record<string, unknown> | undefined }
  | { event: "DEVICE_DELETED"; device: string | undefined; path: string }
  /** A migration's status changed (sent while the "events" capability is on). */
  | { event: "MIGRATION"; status: MigrationStatus };

/** The typed form of an event vmctl knows, or undefined for any other. */
export function readQmpEvent(event: QmpEvent): KnownQmpEvent | undefined {
  const data = event.data ?? {};
  switch (event.event) {
    case "SHUTDOWN": return { event: "SHUTDOWN", guest: data.guest === true, reason: typeof data.reason === "string" ? data.reason : "" };
    case "STOP": return { event: "STOP" };
    case "RESUME": return { event: "RESUME" };
    case "RESET": return { event: "RESET", guest: data.guest === true };
    case "GUEST_PANICKED": return { event: "GUEST_PANICKED", action: String(data.action ?? ""), info: typeof data.info === "object" && data.info !== null ? data.info as Record<string, unknown> : undefined };
    case "DEVICE_DELETED": return { event: "DEVICE_DELETED", device: typeof data.device === "string" ? data.device : undefined, path: String(data.path ?? "") };
    case "MIGRATION": return { event: "MIGRATION", status: String(data.status ?? "none") as MigrationStatus };
    default: return undefined;
  }
}
