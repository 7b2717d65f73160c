// Entering or leaving maintenance mode, asked first: entering live-migrates every running VM of the
// host to the others (placement chooses where), then placement never picks the host until it
// leaves. The task runs at vmcenter and shows in the task bar; its failure reaches the notifier.
import type { ClusterHost } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";

export function MaintenanceDialog({ host, enabled, onClose }: { host: ClusterHost; enabled: boolean; onClose: () => void }) {
  const run = useAction();
  const running = host.runningVms;
  return (
    <ActionModal title={enabled ? `Put ${host.name} in maintenance mode?` : `Take ${host.name} out of maintenance mode?`}
      submitLabel={enabled ? "Enter maintenance mode" : "Exit maintenance mode"} busyLabel="Asking vmcenter…"
      onSubmit={async () => (await run(enabled ? `put ${host.name} in maintenance mode` : `take ${host.name} out of maintenance mode`, () => client.cluster.maintenance(host.id, enabled))) !== undefined}
      onClose={onClose}>
      {enabled ? (
        <>
          <p data-testid="maintenance-words">
            {running === 0 ? `No VM runs on ${host.name}: nothing needs to move.`
              : `The ${running === 1 ? "VM" : `${running} VMs`} running on ${host.name} will be live-migrated to other hosts while ${running === 1 ? "it keeps" : "they keep"} running.`}
            {" "}Then {host.name} takes no new VMs until it leaves maintenance mode.
          </p>
          <p className="vmctl-muted">A stopped VM on storage only this host has stays here; the task's log says which VMs moved where. Progress shows in the task bar.</p>
        </>
      ) : <p>{host.name} is back in service: placement may choose it for new VMs and migrations again. Nothing moves back by itself.</p>}
    </ActionModal>
  );
}
