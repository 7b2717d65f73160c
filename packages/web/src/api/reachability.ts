// Whether vmctld answers: failed requests and the events WebSocket report here, the shell shows a
// banner while either is down, and views reload what they show once it is back (the epoch moves).
import { useSyncExternalStore } from "react";

export interface Reachability {
  /** The last request could not reach vmctld (network error, not an HTTP error). */
  requestFailed: boolean;
  /** The live events stream: not yet opened, open, or closed and reconnecting. */
  stream: "connecting" | "open" | "closed";
  /** Counts the times vmctld came back; views that show data reload when it moves. */
  epoch: number;
  /** How many reconnection attempts have failed since the stream closed. */
  attempts: number;
}

let current: Reachability = { requestFailed: false, stream: "connecting", epoch: 0, attempts: 0 };
const listeners = new Set<() => void>();

function update(next: Partial<Reachability>): void {
  const merged = { ...current, ...next };
  const wasDown = isDown(current);
  if (wasDown && !isDown(merged)) merged.epoch = current.epoch + 1;
  if (Object.entries(merged).every(([k, v]) => current[k as keyof Reachability] === v)) return;
  current = merged;
  for (const listener of listeners) listener();
}

export const isDown = (r: Reachability): boolean => r.requestFailed || r.stream === "closed";

export const reportRequest = (reached: boolean): void => update({ requestFailed: !reached });
export const reportStream = (stream: Reachability["stream"], attempts = 0): void => update({ stream, attempts });

export function useReachability(): Reachability {
  return useSyncExternalStore((listener) => { listeners.add(listener); return () => listeners.delete(listener); }, () => current);
}
