// Migrating a VM to another host of the cluster: a picker of every host with vmcenter's placement
// verdict in words ("3.1 GiB free after, 1 VM running — recommended"; refused hosts greyed with
// why), the recommended host chosen to begin with; live (the guest keeps running) or cold; Migrate
// in the footer. The move is a cluster task: its progress shows in the task bar, its failure in
// the notifier, and the VM list shows the new host when it is done.
import { useEffect, useState } from "react";
import { Alert, FormGroup, Label, Radio } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { LoadError, Loading } from "../shared/states";
import { hostOf, initialPick, pickerEntries } from "./cluster-words";

const LIVE_STATES: readonly string[] = ["running", "paused"];

export function MigrateDialog({ vm, onClose }: { vm: VmSummary; onClose: () => void }) {
  const run = useAction();
  const placement = useApi(() => client.cluster.placement(vm.name), ["placement", vm.name]);
  const entries = placement.data ? pickerEntries(placement.data) : undefined;
  const [target, setTarget] = useState<string | null>(null);
  useEffect(() => { if (entries && target === null) setTarget(initialPick(entries)); }, [entries, target]);
  const canLive = LIVE_STATES.includes(vm.state);
  const [live, setLive] = useState(canLive);
  const here = hostOf(vm);
  const chosen = entries?.find((e) => e.id === target);
  const none = entries !== undefined && !entries.some((e) => e.eligible);
  return (
    <ActionModal title={`Migrate ${vm.name}`} size="medium" submitLabel="Migrate" busyLabel="Starting the migration…" isDisabled={!chosen?.eligible}
      description={here ? `It is on ${here.name} now. Choose where it goes.` : "Choose where it goes."}
      onSubmit={async () => {
        if (!chosen) return false;
        const task = await run(`migrate ${vm.name} to ${chosen.name}`, () => client.cluster.migrate(vm.name, { host: chosen.id, live: canLive && live }));
        return task !== undefined;
      }}
      onClose={onClose}>
      {placement.error ? <LoadError what={`where ${vm.name} can go`} error={placement.error} onRetry={placement.reload} />
        : !entries ? <Loading what="the hosts" lines={3} />
        : (
          <FormGroup role="radiogroup" label="Target host" fieldId="migrate-target" isStack data-testid="migrate-hosts">
            {entries.map((e) => (
              <Radio key={e.id} id={`migrate-host-${e.id}`} name="migrate-target" isChecked={target === e.id} isDisabled={!e.eligible} onChange={() => setTarget(e.id)}
                data-testid={`migrate-host-${e.name}`}
                label={<span>{e.name} {e.recommended ? <Label color="green" isCompact>recommended</Label> : e.current ? <Label color="grey" isCompact>current</Label> : null}</span>}
                description={<span data-testid="placement-reasons">{e.words}</span>} />
            ))}
          </FormGroup>
        )}
      {none ? <Alert isInline isPlain variant="warning" title="No host can take it now" data-testid="migrate-none"><p>Each host says why above: free memory, maintenance mode, tags, rules or CPU model and QEMU version.</p></Alert> : null}
      <FormGroup role="radiogroup" label="How" fieldId="migrate-live" isStack>
        {canLive ? (
          <>
            <Radio id="migrate-live" name="migrate-how" label="Live (keeps it running)" isChecked={live} onChange={() => setLive(true)}
              description="Its memory is copied while it runs; the guest pauses a moment at the switch-over." />
            <Radio id="migrate-cold" name="migrate-how" label="Cold (stops it, moves it and starts it there)" isChecked={!live} onChange={() => setLive(false)}
              description="The guest is shut off for the move, as if powered off." />
          </>
        ) : (
          <Radio id="migrate-cold" name="migrate-how" label="Cold (it is not running)" isChecked onChange={() => {}}
            description={`${vm.name} is ${vm.state}: it is moved stopped, its disks copied unless they are on shared storage.`} />
        )}
      </FormGroup>
    </ActionModal>
  );
}
