// A console in its own window (as ESXi's and Cockpit's): the VM page's console tab with ?window=1
// shows only the console, filling the window and following its size, the window's title naming
// the VM. host-app renders it inside the live host data, so a stopped VM's console waits, offers
// Start and shows the boot, as on the VM's page (and the login page loads nothing more for it).
import { useEffect } from "react";
import { Bullseye, Spinner } from "@patternfly/react-core";
import { useHostData } from "../../state/host-data";
import type { Route } from "../../state/router";
import { Empty, LoadError } from "../shared/states";
import { ConsoleTab, type ConsoleKind } from "./ConsoleTab";

/** The console a route asks for in a window of its own, if it does. */
export function consoleWindowOf(route: Route, search: string): { name: string; kind: ConsoleKind } | null {
  if (route.page !== "vm" || (route.tab !== "console" && route.tab !== "display") || !new URLSearchParams(search).has("window")) return null;
  return { name: route.name, kind: route.tab === "console" ? "serial" : "graphical" };
}

export const consoleWindowTitle = (name: string, kind: ConsoleKind) => `${name} — ${kind === "serial" ? "console" : "graphical console"} — vmctl`;

function WindowBody({ name, kind }: { name: string; kind: ConsoleKind }) {
  const { vms, error, refresh } = useHostData();
  const vm = vms?.find((v) => v.name === name);
  if (!vms) return error ? <LoadError what="the VMs" error={error} onRetry={refresh} /> : <Bullseye style={{ height: "100%" }}><Spinner aria-label={`Loading ${name}`} /></Bullseye>;
  if (!vm) return <Empty title={`No VM named "${name}"`}>It may have been destroyed or renamed.</Empty>;
  return <ConsoleTab vm={vm} kind={kind} inWindow />;
}

/** Inside HostDataProvider: the console and nothing else, the whole window. */
export function ConsoleWindow({ name, kind }: { name: string; kind: ConsoleKind }) {
  useEffect(() => { document.title = consoleWindowTitle(name, kind); }, [name, kind]);
  return (
    <main aria-label={consoleWindowTitle(name, kind)} style={{ height: "100vh", boxSizing: "border-box", padding: 8, display: "flex", flexDirection: "column", overflow: "hidden" }}>
      <div style={{ flex: 1, minHeight: 0, display: "flex", flexDirection: "column" }}><WindowBody name={name} kind={kind} /></div>
    </main>
  );
}
