// useVMWebSocket: a VM's status and live metrics from /ws/vms/:name (a single-use ticket opens it).
import { useEffect, useState } from "react";
import type { VmMetrics, WsMonitorServerMessage } from "@vmctl/api-types";
import { client, revokedByClose } from "./http";

export type { VmMetrics };

export function useVMWebSocket(name: string, running: boolean): { metrics: VmMetrics | null; history: number[] } {
  const [metrics, setMetrics] = useState<VmMetrics | null>(null);
  const [history, setHistory] = useState<number[]>([]);
  useEffect(() => {
    if (!running) { setMetrics(null); return; }
    let socket: WebSocket | undefined;
    let stopped = false;
    void client.vmSocketUrl(name, "monitor").then((url) => {
      if (stopped) return;
      socket = new WebSocket(url);
      socket.onclose = (event) => { if (!stopped) revokedByClose(event.code); };
      socket.onmessage = (message) => {
        const parsed = JSON.parse(String(message.data)) as WsMonitorServerMessage;
        if (parsed.type !== "metrics") return;
        setMetrics(parsed.data);
        const cpu = parsed.data.cpu?.utilization;
        if (cpu !== undefined) setHistory((h) => [...h.slice(-59), cpu]);
      };
    }, () => {});
    return () => { stopped = true; socket?.close(); };
  }, [name, running]);
  return { metrics, history };
}
