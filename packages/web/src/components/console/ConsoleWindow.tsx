// A console in its own window (as ESXi's and Cockpit's): only the console, filling the window and
// following its size, the window's title naming the VM. It keeps the live VM list, so a stopped
// VM's console waits, offers Start and shows the boot, as on the VM's page.
import { useEffect } from "react";
import { Bullseye, Spinner } from "@patternfly/react-core";
import { HostDataProvider, useHostData } from "../../state/host-data";
import { Empty, LoadError } from "../shared/states";
import { ConsoleTab, type ConsoleKind } from "./ConsoleTab";

export const consoleWindowTitle = (name: string, kind: ConsoleKind) => `${name} — ${kind === "serial" ? "console" : "graphical console"} — vmctl`;

function WindowBody({ name, kind }: { name: string; kind: ConsoleKind }) {
  const { vms, error, refresh } = useHostData();
  const vm = vms?.find((v) => v.name === name);
  if (!vms) return error ? <LoadError what="the VMs" error={error} onRetry={refresh} /> : <Bullseye style={{ height: "100%" }}><Spinner aria-label={`Loading ${name}`} /></Bullseye>;
  if (!vm) return <Empty title={`No VM named "${name}"`}>It may have been destroyed or renamed.</Empty>;
  return <ConsoleTab vm={vm} kind={kind} inWindow />;
}

export default function ConsoleWindow({ name, kind }: { name: string; kind: ConsoleKind }) {
  useEffect(() => { document.title = consoleWindowTitle(name, kind); }, [name, kind]);
  return (
    <HostDataProvider>
      <main aria-label={consoleWindowTitle(name, kind)} style={{ height: "100vh", boxSizing: "border-box", padding: 8, display: "flex", flexDirection: "column", overflow: "hidden" }}>
        <div style={{ flex: 1, minHeight: 0, display: "flex", flexDirection: "column" }}><WindowBody name={name} kind={kind} /></div>
      </main>
    </HostDataProvider>
  );
}
