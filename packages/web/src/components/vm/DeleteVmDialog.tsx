// Deleting a VM, as vSphere and Proxmox ask for it: the name typed to confirm, a choice to keep the
// disk images (the definition, logs and snapshots' data go either way), and a running VM refused
// until it is stopped, with the reason in the dialog rather than an error after the click.
import { useState } from "react";
import { Alert, Checkbox, FormGroup, TextInput } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { allowedStates } from "@vmctl/api-types/states";
import { client } from "../../api/http";
import { navigate } from "../../state/router";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint } from "../shared/form-help";

const DESTROYABLE = allowedStates("destroy");

export function DeleteVmDialog({ vm, onClose, onDeleted }: { vm: VmSummary; onClose: () => void; onDeleted?: () => void }) {
  const run = useAction();
  const [typed, setTyped] = useState("");
  const [keepDisks, setKeepDisks] = useState(false);
  const stopped = DESTROYABLE.includes(vm.state);
  const blocked = stopped ? null : `${vm.name} is ${vm.state}. A VM is deleted only while stopped: stop it first (Power actions → Stop), then delete it.`;
  const matches = typed === vm.name;
  return (
    <ActionModal title={`Delete ${vm.name}?`} submitLabel="Delete" busyLabel="Deleting…" danger isDisabled={blocked !== null || !matches} focus="#delete-vm-confirm"
      onSubmit={async () => {
        const done = await run(`delete ${vm.name}`, () => client.destroyVm(vm.name, keepDisks));
        if (done === undefined) return false;
        onDeleted?.();
        navigate("/ui/");
        return true;
      }}
      onClose={onClose}>
      {blocked ? <Alert isInline isPlain variant="warning" title="Stop it first" data-testid="delete-blocked"><p>{blocked}</p></Alert> : null}
      <p>
        This removes {vm.name}&apos;s definition, logs and snapshots{keepDisks ? ", and keeps its disk images in its folder" : " and its disk images"}.
        Disk images outside its folder (shared images) are never deleted. This cannot be undone.
      </p>
      <Checkbox id="delete-vm-keep-disks" label="Keep disk images" isChecked={keepDisks} onChange={(_e, on) => setKeepDisks(on)}
        description="The images stay in the datastore; a new VM can use them." />
      <FormGroup label={`Type ${vm.name} to confirm`} fieldId="delete-vm-confirm">
        <TextInput id="delete-vm-confirm" value={typed} onChange={(_e, v) => setTyped(v)} autoComplete="off" spellCheck={false} isDisabled={blocked !== null} />
        {blocked ? hint("Deleting is refused until the VM is stopped.") : typed && !matches ? hint(`The name does not match: type ${vm.name}.`, true) : null}
      </FormGroup>
    </ActionModal>
  );
}
