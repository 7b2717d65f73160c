// Renaming a VM: only while it is stopped (its QEMU, sockets and saved state carry the name). The
// VM keeps its identity (uuid), so its grants, port forwards and history follow it; its page moves
// to the new name.
import { useState } from "react";
import { Alert, FormGroup, TextInput } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useHostData } from "../../state/host-data";
import { navigate } from "../../state/router";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint, NAME_ADVICE, NAME_RULE } from "../shared/form-help";

const RENAMABLE: readonly string[] = ["stopped", "crashed"];

export function RenameVmDialog({ vm, onClose }: { vm: VmSummary; onClose: () => void }) {
  const run = useAction();
  const { vms } = useHostData();
  const [name, setName] = useState(vm.name);
  const blocked = RENAMABLE.includes(vm.state) ? null : `${vm.name} is ${vm.state}. A VM is renamed only while stopped: stop it first, then rename it.`;
  const taken = (vms ?? []).some((other) => other.name === name && other.name !== vm.name);
  const error = name === vm.name ? null : !NAME_RULE.test(name) ? NAME_ADVICE : taken ? `A VM named ${name} exists already.` : null;
  return (
    <ActionModal title={`Rename ${vm.name}`} submitLabel="Rename" busyLabel="Renaming…" isDisabled={blocked !== null || error !== null || name === vm.name} focus="#rename-vm-name"
      onSubmit={async () => {
        const renamed = await run(`rename ${vm.name} to ${name}`, () => client.renameVm(vm.name, name));
        if (renamed === undefined) return false;
        navigate(`/ui/vms/${encodeURIComponent(renamed.name)}`);
        return true;
      }}
      onClose={onClose}>
      {blocked ? <Alert isInline isPlain variant="warning" title="Stop it first" data-testid="rename-blocked"><p>{blocked}</p></Alert> : null}
      <FormGroup label="New name" isRequired fieldId="rename-vm-name">
        <TextInput id="rename-vm-name" value={name} onChange={(_e, v) => setName(v.trim())} validated={error ? "error" : "default"} isDisabled={blocked !== null} autoComplete="off" spellCheck={false} />
        {error ? hint(error, true) : hint("Its folder and definition file are renamed; grants, port forwards and history stay with it.")}
      </FormGroup>
    </ActionModal>
  );
}
