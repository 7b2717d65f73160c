// Clone a VM or deploy from a template: a full copy (of the present disks of a stopped VM, or of a
// snapshot) or a linked clone of a template (an overlay on its disks: made at once), in any
// datastore, started once made if asked. The copy runs as a task; the new VM appears when it is done.
import { useState } from "react";
import { Checkbox, FormGroup, FormSelect, FormSelectOption, Radio, TextInput } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { cloneVm } from "../../api/vm-storage";
import type { RunAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint, NAME_ADVICE, NAME_RULE } from "../shared/form-help";
import { refusal } from "./abilities";


/** `web` → the first of web-1, web-2 … that no VM has. */
function freeName(base: string, taken: Set<string>): string {
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export interface CloneDialogProps {
  /** The VMs to clone from: one on a VM's page, the templates when deploying from the inventory. */
  sources: VmSummary[];
  allVms: VmSummary[];
  snapshot?: string;
  run: RunAction;
  onClose: () => void;
}

export function CloneDialog({ sources, allVms, snapshot: initialSnapshot, run, onClose }: CloneDialogProps) {
  const [sourceName, setSourceName] = useState(sources[0]?.name ?? "");
  const source = sources.find((s) => s.name === sourceName) ?? sources[0]!;
  const taken = new Set(allVms.map((v) => v.name));
  const [name, setName] = useState(() => freeName(source.template ? source.name : `${source.name}-clone`, taken));
  const [linked, setLinked] = useState(source.template === true && !initialSnapshot);
  const [snapshot, setSnapshot] = useState(initialSnapshot ?? "");
  const [datastore, setDatastore] = useState("");
  const [start, setStart] = useState(false);
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const snaps = useApi(source.template ? null : () => client.listSnapshots(source.name), ["snapshots", source.name]);
  const deploying = sources.length > 1 || source.template === true;
  const nameError = !name ? "Give the new VM a name." : !NAME_RULE.test(name) ? NAME_ADVICE : taken.has(name) ? `A VM named "${name}" exists.` : null;
  const stateWhy = linked || snapshot ? null : refusal.clone(source);
  return (
    <ActionModal title={deploying ? "Deploy a VM from a template" : `Clone ${source.name}`} size="medium" submitLabel={deploying ? "Deploy" : "Clone"} busyLabel="Starting…" isDisabled={nameError !== null || stateWhy !== null}
      description={linked ? "A linked clone writes its changes to its own overlay and reads the rest from the template: it is made in a moment, whatever the disks' size." : "A full copy owns its disks: it takes as long as copying them, shown as a task."}
      onSubmit={async () => (await run(`clone ${source.name} as ${name}`, () => cloneVm(source.name, {
        name, ...(linked ? { linked: true } : {}), ...(!linked && snapshot ? { snapshot } : {}), ...(datastore ? { datastore } : {}), ...(start ? { start: true } : {}),
      }))) !== undefined} onClose={onClose}>
      {sources.length > 1 ? (
        <FormGroup label="Template" fieldId="clone-source">
          <FormSelect id="clone-source" value={source.name} onChange={(_e, v) => { setSourceName(v); setName(freeName(v, taken)); }}>
            {sources.map((s) => <FormSelectOption key={s.name} value={s.name} label={s.name} />)}
          </FormSelect>
        </FormGroup>
      ) : null}
      <FormGroup label="Name of the new VM" isRequired fieldId="clone-name">
        <TextInput id="clone-name" value={name} onChange={(_e, v) => setName(v)} validated={nameError ? "error" : "default"} />
        {nameError ? hint(nameError, true) : null}
      </FormGroup>
      <FormGroup role="radiogroup" label="Kind" fieldId="clone-kind" isStack>
        <Radio id="clone-full" name="clone-kind" label="Full copy" description="Independent of the source." isChecked={!linked} onChange={() => setLinked(false)} />
        <Radio id="clone-linked" name="clone-kind" label="Linked clone" isDisabled={!source.template}
          description={source.template ? "Shares the template's disks, read-only; only its changes take space." : "Only from a template, whose disks never change."} isChecked={linked} onChange={() => setLinked(true)} />
      </FormGroup>
      {!linked && !source.template ? (
        <FormGroup label="Copy" fieldId="clone-snapshot">
          <FormSelect id="clone-snapshot" value={snapshot} onChange={(_e, v) => setSnapshot(v)}>
            <FormSelectOption value="" label="The disks as they are now" />
            {(snaps.data?.snapshots ?? []).map((s) => <FormSelectOption key={s.name} value={s.name} label={`The disks at snapshot "${s.name}"`} />)}
          </FormSelect>
          {stateWhy ? hint(stateWhy, true) : null}
        </FormGroup>
      ) : null}
      <FormGroup label="Datastore" fieldId="clone-datastore">
        <FormSelect id="clone-datastore" value={datastore} onChange={(_e, v) => setDatastore(v)}>
          <FormSelectOption value="" label={`${source.datastore} (the source's)`} />
          {(stores.data?.datastores ?? []).filter((d) => d.name !== source.datastore).map((d) => <FormSelectOption key={d.name} value={d.name} label={d.name} />)}
        </FormSelect>
      </FormGroup>
      <Checkbox id="clone-start" label="Start the new VM once it is made" isChecked={start} onChange={(_e, v) => setStart(v)} />
    </ActionModal>
  );
}
