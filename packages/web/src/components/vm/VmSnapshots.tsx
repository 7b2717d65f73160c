// The Snapshots tab, as ESXi's snapshot manager: the tree of snapshots with "You are here" under
// the one the VM's present state descends from, the chosen snapshot's details, and take, revert,
// delete and clone from it. It follows the VM's snapshot events live.
import { useState } from "react";
import { Button, Card, CardBody, CardTitle, DescriptionList, Grid, GridItem, Label, TreeView, type TreeViewDataItem } from "@patternfly/react-core";
import CameraIcon from "@patternfly/react-icons/dist/esm/icons/camera-icon";
import MapMarkerIcon from "@patternfly/react-icons/dist/esm/icons/map-marker-alt-icon";
import VirtualMachineIcon from "@patternfly/react-icons/dist/esm/icons/virtual-machine-icon";
import type { Snapshot, SnapshotList, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { formatDate } from "../../format";
import { useHostData, useLiveEvents } from "../../state/host-data";
import { useAction } from "../../state/use-action";
import { Fact } from "../shared/Fact";
import { ExplainedButton } from "../shared/ExplainedButton";
import { Empty, LoadError, Loading } from "../shared/states";
import { refusal } from "./abilities";
import { CloneDialog } from "./CloneDialog";
import { DeleteSnapshotDialog, RevertSnapshotDialog, TakeSnapshotDialog } from "./snapshot-dialogs";

const HERE = "\u0000here";
type Dialog = "take" | "revert" | "delete" | "clone" | null;

/** The snapshots as tree nodes, each with its children and, under the current one, "You are here". */
function treeOf(list: SnapshotList, vm: string): TreeViewDataItem[] {
  const byName = new Map(list.snapshots.map((s) => [s.name, s]));
  const here: TreeViewDataItem = { id: HERE, name: <span className="vmctl-here" data-testid="you-are-here">You are here</span>, icon: <MapMarkerIcon className="vmctl-here__icon" /> };
  const node = (s: Snapshot): TreeViewDataItem => {
    const children = s.children.map((c) => byName.get(c)).filter((c): c is Snapshot => c !== undefined).map(node);
    if (s.current) children.push(here);
    return {
      id: s.name, icon: <CameraIcon />,
      name: (
        <span className="vmctl-snapshot" data-snapshot={s.name}>
          <span className="vmctl-snapshot__name">{s.name}</span>
          {s.current ? <Label isCompact color="blue">current</Label> : null}
          {s.memory ? <Label isCompact variant="outline">with memory</Label> : null}
          <span className="vmctl-muted vmctl-small">{formatDate(s.createdAt)}</span>
        </span>
      ),
      ...(children.length ? { children, defaultExpanded: true } : {}),
    };
  };
  const roots = list.snapshots.filter((s) => s.parent === null || !byName.has(s.parent)).map(node);
  if (list.current === null) roots.push(here);
  return [{ id: "\u0000vm", name: <strong>{vm}</strong>, icon: <VirtualMachineIcon />, children: roots, defaultExpanded: true }];
}

export function VmSnapshots({ vm, canSnapshot, canClone }: { vm: VmSummary; canSnapshot: boolean; canClone: boolean }) {
  const { vms } = useHostData();
  const run = useAction();
  const [version, setVersion] = useState(0);
  useLiveEvents((event: VmctlEvent) => { if (event.vm === vm.name && /^(vm\.snapshot|task\.finished)/.test(event.type)) setVersion((v) => v + 1); });
  const { data, error, reload } = useApi(() => client.listSnapshots(vm.name), ["snapshots", vm.name], version);
  const [chosen, setChosen] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  if (error && !data) return <LoadError what={`the snapshots of ${vm.name}`} error={error} onRetry={reload} />;
  if (!data) return <Loading what="the snapshots" lines={3} />;
  const selected = data.snapshots.find((s) => s.name === (chosen ?? data.current)) ?? null;
  // The list is read again on the vm.snapshot_* event and task.finished of this VM, when the task ends.
  const close = () => setDialog(null);
  const takeWhy = refusal.snapshot(vm);
  const revertWhy = refusal.revert(vm);
  const toolbar = canSnapshot ? (
    <div role="group" aria-label="Snapshot actions" className="vmctl-row-actions" style={{ justifyContent: "flex-start", margin: "16px 0" }}>
      <ExplainedButton why={takeWhy} icon={<CameraIcon />} onClick={() => setDialog("take")}>Take snapshot</ExplainedButton>
      <ExplainedButton why={selected ? revertWhy : "Choose a snapshot in the tree."} variant="secondary" onClick={() => setDialog("revert")}>Revert to snapshot</ExplainedButton>
      <ExplainedButton why={selected ? null : "Choose a snapshot in the tree."} variant="secondary" isDanger onClick={() => setDialog("delete")}>Delete snapshot</ExplainedButton>
    </div>
  ) : null;
  const dialogs = (
    <>
      {dialog === "take" ? <TakeSnapshotDialog vm={vm} run={run} onClose={close} taken={new Set(data.snapshots.map((s) => s.name))} /> : null}
      {dialog === "revert" && selected ? <RevertSnapshotDialog vm={vm} run={run} onClose={close} snapshot={selected} /> : null}
      {dialog === "delete" && selected ? <DeleteSnapshotDialog vm={vm} run={run} onClose={() => { setChosen(null); close(); }} snapshot={selected} /> : null}
      {dialog === "clone" && selected ? <CloneDialog sources={[vm]} allVms={vms ?? []} snapshot={selected.name} run={run} onClose={close} /> : null}
    </>
  );
  if (vm.template) return <Empty title="Templates keep no snapshots">A template never changes, so there is nothing to go back to. Clone it, or convert it to a VM to change it.</Empty>;
  if (data.snapshots.length === 0) {
    return (
      <>
        <Empty title="No snapshots yet" footer={canSnapshot ? <ExplainedButton why={takeWhy} icon={<CameraIcon />} onClick={() => setDialog("take")}>Take snapshot</ExplainedButton> : undefined}>
          A snapshot keeps the disks{vm.state === "running" ? ", and the memory if you like," : ""} as they are now, so {vm.name} can go back to this point later. Snapshots live inside its qcow2 disks and take space only for what changes.
        </Empty>
        {dialogs}
      </>
    );
  }
  return (
    <div data-testid="snapshots">
      {toolbar}
      <Grid hasGutter>
        <GridItem md={7}>
          <Card isFullHeight>
            <CardTitle>Snapshot tree</CardTitle>
            <CardBody data-testid="snapshot-tree">
              <TreeView data={treeOf(data, vm.name)} hasGuides hasSelectableNodes aria-label={`Snapshots of ${vm.name}`}
                activeItems={selected ? [{ id: selected.name, name: selected.name }] : []}
                onSelect={(_event, item) => { if (typeof item.id === "string" && !item.id.startsWith("\u0000")) setChosen(item.id); }} />
            </CardBody>
          </Card>
        </GridItem>
        <GridItem md={5}>
          <Card isFullHeight>
            <CardTitle>{selected ? `Snapshot "${selected.name}"` : "Details"}</CardTitle>
            <CardBody>
              {selected ? (
                <>
                  <DescriptionList isCompact aria-label="Snapshot details" data-testid="snapshot-details">
                    <Fact term="Description">{selected.description || <span className="vmctl-muted">none</span>}</Fact>
                    <Fact term="Taken">{formatDate(selected.createdAt)}</Fact>
                    <Fact term="The VM was">{selected.vmState}{selected.memory ? ", and its memory is kept: a revert resumes the guest there" : ": a revert leaves it stopped"}</Fact>
                    <Fact term="Disks">{selected.disks.join(", ")}</Fact>
                    <Fact term="Position">{selected.current ? "The VM's present state descends from this snapshot" : selected.children.length ? `${selected.children.length} taken after it` : "A branch the VM has left"}</Fact>
                  </DescriptionList>
                  {canClone ? <Button variant="link" isInline style={{ marginTop: 16 }} onClick={() => setDialog("clone")}>Clone a new VM from this snapshot</Button> : null}
                </>
              ) : <p className="vmctl-muted">Choose a snapshot in the tree to see it and act on it.</p>}
            </CardBody>
          </Card>
        </GridItem>
      </Grid>
      {dialogs}
    </div>
  );
}
