// useVMConsole: the VM's shared serial console over a WebSocket opened with a single-use ticket,
// raw bytes both ways (binary subprotocol), reconnecting on its own when the connection drops or the
// VM stops (the console then waits for the next start).
import { useEffect, useRef } from "react";
import { BINARY_CONSOLE_PROTOCOL } from "@vmctl/client/browser";
import { client, isRefusal, revokedByClose } from "./http";

export interface ConsoleHandlers {
  output: (bytes: Uint8Array) => void;
  status: (text: string) => void;
  /** vmctld's word on the console: "waiting" (the VM is not running; it attaches at Start) or "attached". */
  attachment?: (state: "waiting" | "attached") => void;
}

export function useVMConsole(name: string, handlers: ConsoleHandlers): { send: (data: string) => void } {
  const socket = useRef<WebSocket | null>(null);
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    let stopped = false;
    let delay = 500;
    let timer: number | undefined;
    const open = async () => {
      try {
        const url = await client.vmSocketUrl(name, "console");
        if (stopped) return;
        const ws = new WebSocket(url, [BINARY_CONSOLE_PROTOCOL]);
        ws.binaryType = "arraybuffer";
        socket.current = ws;
        ws.onopen = () => { delay = 500; current.current.status("connected"); };
        ws.onmessage = (message) => {
          if (message.data instanceof ArrayBuffer) current.current.output(new Uint8Array(message.data));
          else {
            const parsed = JSON.parse(String(message.data)) as { type: string; data: { message?: string; console?: string } };
            if (parsed.type === "error") current.current.status(parsed.data.message ?? "error");
            // Opened while the VM is not running, the console waits and says so; it attaches at Start.
            if (parsed.type === "status") {
              current.current.status(parsed.data.console === "attached" ? "connected" : parsed.data.message ?? "waiting for the VM to start");
              current.current.attachment?.(parsed.data.console === "attached" ? "attached" : "waiting");
            }
          }
        };
        ws.onclose = (event) => {
          socket.current = null;
          if (stopped) return;
          const revoked = revokedByClose(event.code);
          if (revoked !== null) { current.current.status(revoked); return; }
          current.current.status(event.code === 1000 ? "the console ended (VM stopped)" : "disconnected; reconnecting…");
          // After the VM stopped, open it again: it waits for the next start and shows that boot.
          if (event.code !== 1000 || event.reason === "console ended") { timer = window.setTimeout(() => void open(), delay); delay = Math.min(delay * 2, 10_000); }
        };
      } catch (error) {
        current.current.status(`cannot open the console: ${(error as Error).message}`);
        if (isRefusal(error)) return;
        timer = window.setTimeout(() => void open(), delay);
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void open();
    return () => { stopped = true; window.clearTimeout(timer); socket.current?.close(); };
  }, [name]);
  return {
    send: (data: string) => { if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(new TextEncoder().encode(data)); },
  };
}
