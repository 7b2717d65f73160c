// A VM's page: its state, one primary power action with a menu of the rest (as the state machine
// and the user's privileges allow), its storage actions, then its overview, consoles (their code
// loads when a console tab first opens), hardware, snapshots, events, tasks and the definition
// editor. A template has no power actions: "Deploy VM" instead.
import { Breadcrumb, BreadcrumbItem, Button, Label, PageSection, Tab, TabTitleText, Tabs, Title } from "@patternfly/react-core";
import TemplateIcon from "@patternfly/react-icons/dist/esm/icons/pficon-template-icon";
import { useHostData } from "../../state/host-data";
import { useSession } from "../../state/session";
import { useCluster } from "../../state/cluster";
import { hostOf } from "../cluster/cluster-words";
import { navigate } from "../../state/router";
import { Empty, LoadError, Loading } from "../shared/states";
import { STATE_COLOR } from "./power";
import { VmOverview } from "./VmOverview";
import { VmPower } from "./VmPower";
import { VmHardware } from "./VmHardware";
import { VmSnapshots } from "./VmSnapshots";
import { VmActions } from "./VmActions";
import { VmEvents, VmTasks } from "./VmActivity";
import { DefinitionEditor } from "./DefinitionEditor";
import { ConsoleTab } from "../console/ConsoleTab";

export function VmView({ name, tab }: { name: string; tab: string }) {
  const { vms, error, refresh } = useHostData();
  const { can } = useSession();
  const vm = vms?.find((v) => v.name === name);
  const cluster = useCluster();
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
  return (
    <PageSection>
      <Breadcrumb>{back}<BreadcrumbItem isActive>{name}</BreadcrumbItem></Breadcrumb>
      <Title headingLevel="h1" style={{ margin: "12px 0", display: "flex", alignItems: "center", gap: 12 }}>
        {name} {vm.template ? <Label color="purple" icon={<TemplateIcon />} data-testid="vm-template">template</Label> : <Label color={STATE_COLOR[vm.state] ?? "grey"} data-testid="vm-state">{vm.state}</Label>}
        {vm.definitionError ? <Label color="red" isCompact>invalid definition</Label> : null}
        {cluster && hostOf(vm) ? <span className="vmctl-muted vmctl-vm-host" data-testid="vm-page-host">on host {hostOf(vm)!.name}</span> : null}
      </Title>
      <div className="vmctl-vm-actions">
        {can("vm.power", name) && !vm.template ? <VmPower vm={vm} /> : null}
        {vm.template ? <span className="vmctl-muted">A template never starts: deploy VMs from it.</span> : null}
        <span style={{ display: "flex", gap: 8 }}><VmActions vm={vm} /></span>
      </div>
      <Tabs activeKey={tab} onSelect={(_e, key) => select(key)} aria-label={`Sections of ${name}`} mountOnEnter unmountOnExit>
        <Tab eventKey="summary" title={<TabTitleText>Overview</TabTitleText>}>
          <VmOverview vm={vm} />
        </Tab>
        <Tab eventKey="console" title={<TabTitleText>Console</TabTitleText>}>
          <ConsoleTab vm={vm} kind="serial" />
        </Tab>
        <Tab eventKey="display" title={<TabTitleText>Graphical console</TabTitleText>}>
          <ConsoleTab vm={vm} kind="graphical" />
        </Tab>
        <Tab eventKey="hardware" title={<TabTitleText>Hardware</TabTitleText>}>
          <VmHardware vm={vm} canEdit={can("vm.edit", name)} {...(can("vm.edit", name) && !vm.template ? { onEdit: () => select("definition") } : {})} />
        </Tab>
        <Tab eventKey="snapshots" title={<TabTitleText>Snapshots</TabTitleText>}>
          <VmSnapshots vm={vm} canSnapshot={can("vm.snapshot", name)} canClone={can("vm.create")} />
        </Tab>
        <Tab eventKey="events" title={<TabTitleText>Events</TabTitleText>}>
          <VmEvents name={name} />
        </Tab>
        <Tab eventKey="tasks" title={<TabTitleText>Tasks</TabTitleText>}>
          <VmTasks name={name} />
        </Tab>
        <Tab eventKey="definition" title={<TabTitleText>Edit definition</TabTitleText>}>
          <DefinitionEditor name={name} canEdit={can("vm.edit", name) && !vm.template} {...(vm.template ? { readOnlyReason: "a template does not change; convert it to a VM (Actions) to edit it" } : {})} />
        </Tab>
      </Tabs>
    </PageSection>
  );
}
