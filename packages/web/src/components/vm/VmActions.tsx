// A VM's actions beside its power buttons: clone, template or back, export as OVA, rename, delete,
// and at vmcenter migrate to another host. A template shows "Deploy VM" instead of power buttons: it never starts.
import { useState } from "react";
import { Button, Dropdown, DropdownItem, DropdownList, MenuToggle } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { download } from "../../api/transfer";
import { exportUrl, setTemplate } from "../../api/vm-storage";
import { useHostData } from "../../state/host-data";
import { useSession } from "../../state/session";
import { useCluster } from "../../state/cluster";
import { MigrateDialog } from "../cluster/MigrateDialog";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { refusal } from "./abilities";
import { CloneDialog } from "./CloneDialog";
import { DeleteVmDialog } from "./DeleteVmDialog";
import { RenameVmDialog } from "./RenameVmDialog";

export function VmActions({ vm }: { vm: VmSummary }) {
  const { can } = useSession();
  const { vms } = useHostData();
  const run = useAction();
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<"clone" | "template" | "rename" | "delete" | "migrate" | null>(null);
  const cluster = useCluster();
  const canMigrate = cluster !== null && can("vm.migrate", vm.name) && !vm.template;
  const canCreate = can("vm.create");
  const canEdit = can("vm.edit", vm.name);
  const canDelete = can("vm.delete", vm.name);
  if (!canCreate && !canEdit && !canDelete && !canMigrate) return null;
  const item = (key: string, label: string, why: string | null, onClick: () => void, description?: string) => (
    <DropdownItem key={key} onClick={() => { setOpen(false); onClick(); }} isAriaDisabled={why !== null} {...(why ? { tooltipProps: { content: why } } : {})} {...(description ? { description } : {})}>{label}</DropdownItem>
  );
  const items = [
    canMigrate ? item("migrate", "Migrate…", ["starting", "stopping", "migrating"].includes(vm.state) ? `Not while ${vm.name} is ${vm.state}.` : null, () => setDialog("migrate"), "To another host of the cluster, live or cold") : null,
    // Always offered: a running VM can still be cloned from a snapshot, which the dialog offers.
    canCreate ? item("clone", vm.template ? "Deploy or clone…" : "Clone…", null, () => setDialog("clone"), vm.template ? "A linked clone or a full copy" : "A full copy, now or at a snapshot") : null,
    canEdit ? (vm.template
      ? item("template", "Convert to VM", null, () => setDialog("template"), "It can then start and change again")
      : item("template", "Mark as template", refusal.template(vm), () => setDialog("template"), "It never starts again; clones deploy from it")) : null,
    canCreate ? item("export", "Export OVA", refusal.export(vm), () => download(exportUrl(vm.name)), "Download it for VMware or another vmctl") : null,
    // Offered in every state: the dialogs say why a running VM must be stopped first.
    canEdit ? item("rename", "Rename…", null, () => setDialog("rename"), "Its folder and definition; it keeps its identity") : null,
    canDelete ? item("delete", "Delete…", null, () => setDialog("delete"), "Its definition, and its disks unless kept") : null,
  ].filter((i) => i !== null);
  return (
    <>
      {vm.template && canCreate ? <Button onClick={() => setDialog("clone")}>Deploy VM</Button> : null}
      <Dropdown isOpen={open} onOpenChange={setOpen} popperProps={{ position: "end" }}
        toggle={(ref) => <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} aria-label={`More actions for ${vm.name}`}>Actions</MenuToggle>}>
        <DropdownList>{items}</DropdownList>
      </Dropdown>
      {dialog === "migrate" ? <MigrateDialog vm={vm} onClose={() => setDialog(null)} /> : null}
      {dialog === "rename" ? <RenameVmDialog vm={vm} onClose={() => setDialog(null)} /> : null}
      {dialog === "delete" ? <DeleteVmDialog vm={vm} onClose={() => setDialog(null)} /> : null}
      {dialog === "clone" ? <CloneDialog sources={[vm]} allVms={vms ?? []} run={run} onClose={() => setDialog(null)} /> : null}
      {dialog === "template" ? (
        <ActionModal title={vm.template ? `Convert ${vm.name} to a VM?` : `Mark ${vm.name} as a template?`} submitLabel={vm.template ? "Convert to VM" : "Mark as template"} busyLabel="Changing…"
          onSubmit={async () => (await run(vm.template ? `convert ${vm.name} to a VM` : `mark ${vm.name} as a template`, () => setTemplate(vm.name, !vm.template))) !== undefined}
          onClose={() => setDialog(null)}>
          <p>{vm.template
            ? `${vm.name} can start and change again. Refused while linked clones read its disks: they need them unchanged.`
            : `${vm.name} will never start or change, so its disks can be shared: deploy linked clones from it in a moment, or full copies.`}</p>
        </ActionModal>
      ) : null}
    </>
  );
}
