// A VM's page: state and power buttons as the state machine and the user's privileges allow,
// its definition, and the serial console (loaded only when its tab opens).
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Breadcrumb, BreadcrumbItem, Button, CodeBlock, CodeBlockCode, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Label, PageSection, Spinner, Tab, Tabs, Title } from "@patternfly/react-core";
import { useHostData } from "../../state/host-data";
import { useSession } from "../../state/session";
import { useNotify } from "../../state/notify";
import { navigate } from "../../state/router";
import { ACTIONS, STATE_COLOR, power } from "./power";
import { VmMetricsPanel } from "./VmMetricsPanel";
import { DefinitionEditor } from "./DefinitionEditor";

const SerialConsole = lazy(() => import("../console/SerialConsole"));
const GraphicalConsole = lazy(() => import("../console/GraphicalConsole"));

/** A console exists only while QEMU runs; its code loads when first shown. */
function WhileRunning({ running, what, label, children }: { running: boolean; what: string; label: string; children: ReactNode }) {
  if (!running) return <p style={{ marginTop: 16 }}>{what} is available while the VM runs.</p>;
  return <Suspense fallback={<Spinner aria-label={label} />}>{children}</Suspense>;
}

export function VmView({ name, tab }: { name: string; tab: string }) {
  const { vms } = useHostData();
  const { can } = useSession();
  const notify = useNotify();
  const vm = vms?.find((v) => v.name === name);
  const [definition, setDefinition] = useState<string | null>(null);
  useEffect(() => {
    fetch(`/api/v1/vms/${encodeURIComponent(name)}/definition`, { credentials: "same-origin" }).then((r) => (r.ok ? r.text() : null)).then(setDefinition, () => setDefinition(null));
  }, [name, vm?.lastStateChange]);
  if (!vms) return <PageSection><Spinner aria-label="Loading" /></PageSection>;
  if (!vm) return <PageSection><Title headingLevel="h1">No VM named {name}</Title></PageSection>;
  const hasQemu = vm.state === "running" || vm.state === "paused";
  const select = (key: string | number) => navigate(`/ui/vms/${encodeURIComponent(name)}${key === "summary" ? "" : `/${key}`}`);
  return (
    <PageSection>
      <Breadcrumb><BreadcrumbItem to="/ui/" onClick={(e) => { e.preventDefault(); navigate("/ui/"); }}>Virtual machines</BreadcrumbItem><BreadcrumbItem isActive>{name}</BreadcrumbItem></Breadcrumb>
      <Title headingLevel="h1" style={{ margin: "12px 0" }}>{name} <Label color={STATE_COLOR[vm.state] ?? "grey"} data-testid="vm-state">{vm.state}</Label></Title>
      {can("vm.power", name) ? (
        <div style={{ marginBottom: 16 }}>
          {ACTIONS.map((a) => (
            <Button key={a.action} variant={a.action === "start" ? "primary" : "secondary"} isDisabled={!a.from.includes(vm.state)} style={{ marginRight: 8 }}
              onClick={() => void power(name, a.action).catch((e: Error) => notify(`Could not ${a.action} ${name}`, e.message))}>{a.label}</Button>
          ))}
        </div>
      ) : null}
      <Tabs activeKey={tab} onSelect={(_e, key) => select(key)} aria-label="VM sections">
        <Tab eventKey="summary" title="Summary">
          <DescriptionList isHorizontal style={{ marginTop: 16 }}>
            <DescriptionListGroup><DescriptionListTerm>CPUs</DescriptionListTerm><DescriptionListDescription>{vm.cpus}</DescriptionListDescription></DescriptionListGroup>
            <DescriptionListGroup><DescriptionListTerm>Memory</DescriptionListTerm><DescriptionListDescription>{Math.round(vm.memoryBytes / 1024 ** 2)} MiB</DescriptionListDescription></DescriptionListGroup>
            <DescriptionListGroup><DescriptionListTerm>QEMU</DescriptionListTerm><DescriptionListDescription>{vm.pid ? `pid ${vm.pid}, ${vm.accel ?? ""}` : "not running"}</DescriptionListDescription></DescriptionListGroup>
            <DescriptionListGroup><DescriptionListTerm>Last exit</DescriptionListTerm><DescriptionListDescription>{vm.lastExitReason ?? "-"}</DescriptionListDescription></DescriptionListGroup>
          </DescriptionList>
          <VmMetricsPanel name={name} running={hasQemu} />
          <Title headingLevel="h2" size="md" style={{ marginTop: 16 }}>Definition</Title>
          <CodeBlock><CodeBlockCode>{definition ?? "…"}</CodeBlockCode></CodeBlock>
        </Tab>
        <Tab eventKey="definition" title="Edit definition">
          {tab === "definition" ? <DefinitionEditor name={name} canEdit={can("vm.edit", name)} /> : null}
        </Tab>
        <Tab eventKey="console" title="Console">
          {tab === "console" ? <Button variant="link" isInline style={{ marginTop: 12 }} onClick={() => window.open(`/ui/vms/${encodeURIComponent(name)}/console?window=1`, `console-${name}`, "width=900,height=560")}>Open in its own window</Button> : null}
          {tab === "console" ? <WhileRunning running={hasQemu} what="The console" label="Loading the console"><SerialConsole name={name} canType={can("vm.console.input", name)} /></WhileRunning> : null}
        </Tab>
        <Tab eventKey="display" title="Graphical console">
          {tab === "display" ? <WhileRunning running={hasQemu} what="The display" label="Loading the graphical console"><GraphicalConsole name={name} canType={can("vm.console.input", name)} /></WhileRunning> : null}
        </Tab>
      </Tabs>
    </PageSection>
  );
}
