// A VM's page: state and power buttons as the state machine and the user's privileges allow, then
// its summary, consoles (their code loads when a console tab first opens), hardware, events, tasks
// and the definition editor.
import { lazy, Suspense, type ReactNode } from "react";
import { Breadcrumb, BreadcrumbItem, Button, Label, PageSection, Tab, TabTitleText, Tabs, Title } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { useHostData } from "../../state/host-data";
import { useSession } from "../../state/session";
import { navigate } from "../../state/router";
import { Empty, LoadError, Loading } from "../shared/states";
import { ACTIONS, STATE_COLOR, usePower } from "./power";
import { VmSummary as Summary } from "./VmSummary";
import { VmHardware } from "./VmHardware";
import { VmEvents, VmTasks } from "./VmActivity";
import { DefinitionEditor } from "./DefinitionEditor";

const SerialConsole = lazy(() => import("../console/SerialConsole"));
const GraphicalConsole = lazy(() => import("../console/GraphicalConsole"));

/** A console exists only while QEMU runs; its code loads when first shown. */
function WhileRunning({ vm, what, label, children }: { vm: VmSummary; what: string; label: string; children: ReactNode }) {
  const { can } = useSession();
  const power = usePower();
  if (vm.state !== "running" && vm.state !== "paused") {
    const startable = can("vm.power", vm.name) && (ACTIONS[0]!.from as string[]).includes(vm.state);
    return (
      <Empty title={`${vm.name} is ${vm.state}`} footer={startable ? <Button onClick={() => void power([vm.name], "start")}>Start {vm.name}</Button> : undefined}>
        {what} is available while the VM runs.
      </Empty>
    );
  }
  return <Suspense fallback={<Loading what={label} lines={1} />}>{children}</Suspense>;
}

function PowerButtons({ vm }: { vm: VmSummary }) {
  const power = usePower();
  return (
    <div role="group" aria-label={`Power actions for ${vm.name}`} style={{ display: "flex", gap: 8, flexWrap: "wrap", marginBottom: 16 }}>
      {ACTIONS.map((a) => (
        <Button key={a.action} variant={a.action === "start" ? "primary" : "secondary"} isDisabled={!a.from.includes(vm.state)}
          onClick={() => void power([vm.name], a.action)}>{a.label}</Button>
      ))}
    </div>
  );
}

export function VmView({ name, tab }: { name: string; tab: string }) {
  const { vms, error, refresh } = useHostData();
  const { can } = useSession();
  const vm = vms?.find((v) => v.name === name);
  const back = <BreadcrumbItem to="/ui/" onClick={(e) => { e.preventDefault(); navigate("/ui/"); }}>Virtual machines</BreadcrumbItem>;
  if (!vms) {
    return <PageSection><Breadcrumb>{back}</Breadcrumb>{error ? <LoadError what="the VMs" error={error} onRetry={refresh} /> : <Loading what={name} lines={6} />}</PageSection>;
  }
  if (!vm) {
    return (
      <PageSection>
        <Breadcrumb>{back}<BreadcrumbItem isActive>{name}</BreadcrumbItem></Breadcrumb>
        <Empty title={`No VM named "${name}"`} footer={<Button variant="link" onClick={() => navigate("/ui/")}>Back to the virtual machines</Button>}>
          It may have been destroyed, or the link is mistyped.
        </Empty>
      </PageSection>
    );
  }
  const base = `/ui/vms/${encodeURIComponent(name)}`;
  const select = (key: string | number) => navigate(key === "summary" ? base : `${base}/${key}`);
  const canType = can("vm.console.input", name);
  return (
    <PageSection>
      <Breadcrumb>{back}<BreadcrumbItem isActive>{name}</BreadcrumbItem></Breadcrumb>
      <Title headingLevel="h1" style={{ margin: "12px 0", display: "flex", alignItems: "center", gap: 12 }}>
        {name} <Label color={STATE_COLOR[vm.state] ?? "grey"} data-testid="vm-state">{vm.state}</Label>
        {vm.definitionError ? <Label color="red" isCompact>invalid definition</Label> : null}
      </Title>
      {can("vm.power", name) ? <PowerButtons vm={vm} /> : null}
      <Tabs activeKey={tab} onSelect={(_e, key) => select(key)} aria-label={`Sections of ${name}`} mountOnEnter unmountOnExit>
        <Tab eventKey="summary" title={<TabTitleText>Summary</TabTitleText>}>
          <Summary vm={vm} />
        </Tab>
        <Tab eventKey="console" title={<TabTitleText>Console</TabTitleText>}>
          <WhileRunning vm={vm} what="The serial console" label="the console">
            <Button variant="link" isInline style={{ marginTop: 12 }} onClick={() => window.open(`${base}/console?window=1`, `console-${name}`, "width=900,height=560")}>Open in its own window</Button>
            <SerialConsole name={name} canType={canType} />
          </WhileRunning>
        </Tab>
        <Tab eventKey="display" title={<TabTitleText>Graphical console</TabTitleText>}>
          <WhileRunning vm={vm} what="The graphical console" label="the graphical console"><GraphicalConsole name={name} canType={canType} /></WhileRunning>
        </Tab>
        <Tab eventKey="hardware" title={<TabTitleText>Hardware</TabTitleText>}>
          <VmHardware name={name} {...(can("vm.edit", name) ? { onEdit: () => select("definition") } : {})} />
        </Tab>
        <Tab eventKey="events" title={<TabTitleText>Events</TabTitleText>}>
          <VmEvents name={name} />
        </Tab>
        <Tab eventKey="tasks" title={<TabTitleText>Tasks</TabTitleText>}>
          <VmTasks name={name} />
        </Tab>
        <Tab eventKey="definition" title={<TabTitleText>Edit definition</TabTitleText>}>
          <DefinitionEditor name={name} canEdit={can("vm.edit", name)} />
        </Tab>
      </Tabs>
    </PageSection>
  );
}
