// The Snapshots tab's dialogs: take one (with the memory of a running VM, so a revert resumes the
// guest there), and confirm a revert or a deletion, saying what each does to the VM.
import { useState } from "react";
import { Checkbox, FormGroup, TextArea, TextInput } from "@patternfly/react-core";
import type { Snapshot, VmSummary } from "@vmctl/api-types";
import { deleteSnapshot, revertSnapshot, takeSnapshot } from "../../api/vm-storage";
import { formatDate } from "../../format";
import type { RunAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint, NAME_ADVICE, NAME_RULE } from "../shared/form-help";
import { hasQemu } from "./abilities";

/** A name that sorts by time and is free: snap-2026-11-24-1905. */
function suggestName(taken: Set<string>): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  const base = `snap-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  for (let n = 1, name = base; ; name = `${base}-${++n}`) if (!taken.has(name)) return name;
}

interface Props { vm: VmSummary; run: RunAction; onClose: () => void }

export function TakeSnapshotDialog({ vm, run, onClose, taken }: Props & { taken: Set<string> }) {
  const live = hasQemu(vm);
  const [name, setName] = useState(() => suggestName(taken));
  const [description, setDescription] = useState("");
  const [memory, setMemory] = useState(live);
  const error = !NAME_RULE.test(name) ? NAME_ADVICE : /^\d+$/.test(name) ? "Add a letter: qcow2 takes an all-digit name for a snapshot id." : taken.has(name) ? `${vm.name} already has a snapshot "${name}".` : null;
  return (
    <ActionModal title={`Take a snapshot of ${vm.name}`} size="medium" submitLabel="Take snapshot" busyLabel="Taking…" isDisabled={error !== null} focus="#snapshot-name"
      onSubmit={async () => (await run(`take snapshot "${name}"`, () => takeSnapshot(vm.name, { name, ...(description.trim() ? { description: description.trim() } : {}), ...(live ? { memory } : {}) }))) !== undefined}
      onClose={onClose}>
      <FormGroup label="Name" isRequired fieldId="snapshot-name">
        <TextInput id="snapshot-name" value={name} onChange={(_e, v) => setName(v)} validated={error ? "error" : "default"} />
        {error ? hint(error, true) : null}
      </FormGroup>
      <FormGroup label="Description" fieldId="snapshot-description">
        <TextArea id="snapshot-description" value={description} onChange={(_e, v) => setDescription(v)} rows={3} resizeOrientation="vertical" placeholder="What state is this? e.g. clean install, before the upgrade" />
      </FormGroup>
      {live ? (
        <Checkbox id="snapshot-memory" label="Include the VM's memory" isChecked={memory} onChange={(_e, v) => setMemory(v)}
          description="A revert then resumes the guest exactly where it was, programs running. Without it, a revert leaves the VM stopped with its disks as they are now." />
      ) : <p className="vmctl-muted">{vm.name} is {vm.state}: the snapshot holds its disks.</p>}
    </ActionModal>
  );
}

export function RevertSnapshotDialog({ vm, run, onClose, snapshot }: Props & { snapshot: Snapshot }) {
  return (
    <ActionModal title={`Revert ${vm.name} to "${snapshot.name}"?`} danger submitLabel="Revert" busyLabel="Reverting…"
      onSubmit={async () => (await run(`revert to "${snapshot.name}"`, () => revertSnapshot(vm.name, snapshot.name))) !== undefined} onClose={onClose}>
      <p>The disks and the hardware go back to how they were on {formatDate(snapshot.createdAt)}. Whatever changed since is lost, unless a snapshot holds it.</p>
      <p style={{ marginTop: 8 }}>{snapshot.memory ? "The snapshot holds the memory: the guest resumes where it was, running." : hasQemu(vm) ? `The snapshot holds no memory: ${vm.name} is powered off first and left stopped.` : `${vm.name} stays stopped.`}</p>
    </ActionModal>
  );
}

export function DeleteSnapshotDialog({ vm, run, onClose, snapshot }: Props & { snapshot: Snapshot }) {
  return (
    <ActionModal title={`Delete snapshot "${snapshot.name}"?`} danger submitLabel="Delete" busyLabel="Deleting…"
      onSubmit={async () => (await run(`delete snapshot "${snapshot.name}"`, () => deleteSnapshot(vm.name, snapshot.name))) !== undefined} onClose={onClose}>
      <p>{vm.name} can no longer go back to this point. Its present state does not change{snapshot.children.length ? `, and ${snapshot.children.length === 1 ? "the snapshot taken after it hangs" : "the snapshots taken after it hang"} from ${snapshot.parent ? `"${snapshot.parent}"` : "the top"} instead` : ""}.</p>
    </ActionModal>
  );
}
