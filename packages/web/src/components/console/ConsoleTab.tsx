// The Console and Graphical console tabs of a VM's page, and the same consoles in a window of
// their own. The serial console opens at once, running or not: opened before the VM starts it
// waits and then shows the whole boot. The graphical console has a screen only while QEMU runs:
// until then it says it waits, and connects once the VM runs. Their code loads when first shown.
import { lazy, Suspense } from "react";
import { Alert, Button } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { allowedStates } from "@vmctl/api-types/states";
import { useSession } from "../../state/session";
import { Empty, Loading } from "../shared/states";
import { hasQemu } from "../vm/abilities";
import { usePower } from "../vm/power";

const SerialConsole = lazy(() => import("./SerialConsole"));
const GraphicalConsole = lazy(() => import("./GraphicalConsole"));

export type ConsoleKind = "serial" | "graphical";
const STARTS_FROM: readonly string[] = allowedStates("start");

/** The path of a console's own window: the VM page's tab with ?window=1 (main.tsx renders it alone). */
export const consoleWindowPath = (name: string, kind: ConsoleKind) => `/ui/vms/${encodeURIComponent(name)}/${kind === "serial" ? "console" : "display"}?window=1`;

export function openConsoleWindow(name: string, kind: ConsoleKind): void {
  const size = kind === "serial" ? "width=960,height=600" : "width=1064,height=860";
  window.open(consoleWindowPath(name, kind), `${kind === "serial" ? "console" : "display"}-${name}`, size);
}

export function ConsoleTab({ vm, kind, inWindow = false }: { vm: VmSummary; kind: ConsoleKind; inWindow?: boolean }) {
  const { can } = useSession();
  const power = usePower();
  const what = kind === "serial" ? "the console" : "the graphical console";
  if (vm.template) {
    return <Empty title={`${vm.name} is a template`}>A template never runs; deploy a VM from it to use its console.</Empty>;
  }
  const canType = can("vm.console.input", vm.name);
  const onStart = can("vm.power", vm.name) && STARTS_FROM.includes(vm.state) ? () => void power([vm.name], "start") : undefined;
  const actions = inWindow ? null : <Button size="sm" variant="link" onClick={() => openConsoleWindow(vm.name, kind)}>Open in its own window</Button>;
  const fallback = <Loading what={what} lines={1} />;
  if (kind === "serial") {
    return <Suspense fallback={fallback}><SerialConsole name={vm.name} canType={canType} fill={inWindow} onStart={onStart} actions={actions} /></Suspense>;
  }
  if (!hasQemu(vm)) {
    return (
      <div style={inWindow ? {} : { marginTop: 16 }}>
        <div style={{ display: "flex", justifyContent: "flex-end", marginBottom: 8 }}>{actions}</div>
        <Alert isInline isPlain variant="info" title={`Waiting for ${vm.name} to start…`} data-testid="display-waiting"
          actionLinks={onStart ? <Button size="sm" onClick={onStart}>Start {vm.name}</Button> : undefined}>
          {vm.name} is {vm.state}. Its screen shows here as soon as it runs.
        </Alert>
      </div>
    );
  }
  return <Suspense fallback={fallback}><GraphicalConsole name={vm.name} canType={canType} fill={inWindow} actions={actions} /></Suspense>;
}
