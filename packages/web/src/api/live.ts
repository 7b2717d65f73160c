// Live updates: the events stream over a WebSocket (the session cookie authenticates it), with
// reconnection and back-off, resuming from the last event seen so nothing is missed.
import { useEffect, useRef, useState } from "react";
import type { VmctlEvent } from "@vmctl/api-types";
import { wsUrl } from "./http";

export function useEvents(onEvent: (event: VmctlEvent) => void): { connected: boolean } {
  const [connected, setConnected] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    let socket: WebSocket | undefined;
    let last: number | undefined;
    let delay = 500;
    let stopped = false;
    let timer: number | undefined;
    const open = () => {
      socket = new WebSocket(wsUrl(`/ws/events${last !== undefined ? `?since=${last}` : ""}`));
      socket.onopen = () => { setConnected(true); delay = 500; };
      socket.onmessage = (message) => {
        const parsed = JSON.parse(String(message.data)) as { type: string; data: VmctlEvent };
        if (parsed.type !== "event") return;
        last = parsed.data.id;
        handler.current(parsed.data);
      };
      socket.onclose = () => {
        setConnected(false);
        if (stopped) return;
        timer = window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    open();
    return () => { stopped = true; window.clearTimeout(timer); socket?.close(); };
  }, []);
  return { connected };
}
