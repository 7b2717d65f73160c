// Live updates: the events stream over a WebSocket (the session cookie authenticates it), with
// reconnection and back-off, resuming from the last event seen so nothing is missed. One stream per
// page: HostDataProvider opens it and hands its events to every view that listens.
import { useEffect, useRef } from "react";
import type { VmctlEvent, WsEventsServerMessage } from "@vmctl/api-types";
import { client, revokedByClose, CLOSE_NARROWED } from "./http";
import { reportStream } from "./reachability";

let reconnectNow: () => void = () => {};
/** Skips the back-off wait: the banner's "Retry now". */
export const retryNow = (): void => reconnectNow();

function parseEvent(raw: unknown): VmctlEvent | null {
  if (typeof raw !== "string") return null;
  try {
    // The stream's messages are declared in @vmctl/api-types (ws-wire.ts): an event, events_pruned or an error.
    const message = JSON.parse(raw) as Partial<WsEventsServerMessage>;
    if (message.type !== "event" || typeof message.data?.id !== "number" || typeof message.data.type !== "string") return null;
    return message.data;
  } catch {
    return null;
  }
}

/** Opens the events stream for as long as the calling component lives; `onOpen` runs on every (re)connection. */
export function useEventStream(onEvent: (event: VmctlEvent) => void, onOpen: () => void): void {
  const handlers = useRef({ onEvent, onOpen });
  handlers.current = { onEvent, onOpen };
  useEffect(() => {
    let socket: WebSocket | undefined;
    let last: number | undefined;
    let delay = 500;
    let attempts = 0;
    let stopped = false;
    let timer: number | undefined;
    const open = () => {
      window.clearTimeout(timer);
      socket = new WebSocket(client.eventsSocketUrl(last));
      socket.onopen = () => { delay = 500; attempts = 0; reportStream("open"); handlers.current.onOpen(); };
      socket.onmessage = (message) => {
        const event = parseEvent(message.data);
        if (!event) return;
        last = event.id;
        handlers.current.onEvent(event);
      };
      socket.onclose = (event) => {
        socket = undefined;
        if (stopped) return;
        // Revoked: the login page replaces the app. Narrowed: a new stream carries what may still be seen.
        if (revokedByClose(event.code) !== null) {
          if (event.code === CLOSE_NARROWED) { delay = 500; open(); }
          return;
        }
        reportStream("closed", attempts++);
        timer = window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 5000); // a host on the LAN: back soon after it answers
      };
    };
    reconnectNow = () => { if (!socket) { delay = 500; open(); } };
    open();
    return () => { stopped = true; window.clearTimeout(timer); socket?.close(); reconnectNow = () => {}; reportStream("connecting"); };
  }, []);
}
