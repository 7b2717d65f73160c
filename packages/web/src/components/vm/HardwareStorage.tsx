// The Hardware tab's disks and CD drives, sized from the images themselves (GET …/disks), with
// their actions: add, grow and detach a disk; insert or eject an ISO; add a CD drive.
import { useState, type ReactNode } from "react";
import { Label, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { DiskInfo, VmSummary } from "@vmctl/api-types";
import { setMedium } from "../../api/vm-storage";
import { formatBytes } from "../../format";
import { useAction } from "../../state/use-action";
import { ExplainedButton } from "../shared/ExplainedButton";
import { LoadError, Loading } from "../shared/states";
import { hasQemu, refusal } from "./abilities";
import { AddCdromDialog, AddDiskDialog, DetachDiskDialog, GrowDiskDialog, InsertIsoDialog } from "./disk-dialogs";

type Dialog = { kind: "add-disk" } | { kind: "grow"; disk: DiskInfo } | { kind: "detach"; disk: DiskInfo } | { kind: "insert"; drive: string } | { kind: "add-cdrom" };

function SectionHead({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div style={{ display: "flex", alignItems: "center", gap: 12, margin: "24px 0 8px" }}>
      <Title headingLevel="h2" size="lg" style={{ marginRight: "auto" }}>{title}</Title>
      {children}
    </div>
  );
}

export function HardwareStorage({ vm, disks, error, reload, canEdit }: { vm: VmSummary; disks: DiskInfo[] | undefined; error: Error | null; reload: () => void; canEdit: boolean }) {
  const run = useAction();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  // Every storage change is a vm.* event of this VM, on which VmHardware reads the disks again.
  const close = () => setDialog(null);
  const storageWhy = refusal.storage(vm);
  const running = hasQemu(vm);
  const props = { vm: vm.name, run, onClose: close };
  const list = disks?.filter((d) => d.kind === "disk") ?? [];
  const drives = disks?.filter((d) => d.kind === "cdrom") ?? [];
  const inVmFolder = (d: DiskInfo) => d.datastore === vm.datastore && (d.file ?? "").startsWith(`${vm.name}/`);
  const body = (content: ReactNode) => (error && !disks ? <LoadError what={`the disks of ${vm.name}`} error={error} onRetry={reload} /> : !disks ? <Loading what="the disks" lines={2} /> : content);
  return (
    <>
      <section aria-label="Disks">
        <SectionHead title="Disks">
          {canEdit ? <ExplainedButton variant="secondary" why={storageWhy} onClick={() => setDialog({ kind: "add-disk" })}>Add disk</ExplainedButton> : null}
        </SectionHead>
        {body(list.length === 0 ? <p className="vmctl-muted">No disks{canEdit ? ": add one to install a guest on it." : "."}</p> : (
          <Table variant="compact" aria-label="Disks" data-testid="disks">
            <Thead><Tr><Th>Device</Th><Th>Image</Th><Th>Bus</Th><Th>Format</Th><Th>Size</Th><Th>On disk</Th><Th>Mode</Th>{canEdit ? <Th screenReaderText="Actions" /> : null}</Tr></Thead>
            <Tbody>
              {list.map((d) => {
                const unplugWhy = storageWhy ?? (running && d.bus !== "virtio" ? `A ${d.bus} disk does not unplug; stop the VM first.` : null);
                return (
                  <Tr key={d.id}>
                    <Td dataLabel="Device"><strong>{d.id}</strong></Td>
                    <Td dataLabel="Image" modifier="breakWord">
                      {d.file ?? "-"} <span className="vmctl-muted">on {d.datastore}</span>
                      {d.backingFile ? <div className="vmctl-muted vmctl-small">overlay on {d.backingFile}</div> : null}
                    </Td>
                    <Td dataLabel="Bus">{d.bus}</Td>
                    <Td dataLabel="Format">{d.format ?? "-"}</Td>
                    <Td dataLabel="Size">{d.virtualSizeBytes !== undefined ? formatBytes(d.virtualSizeBytes) : <Label isCompact color="red">image missing</Label>}</Td>
                    <Td dataLabel="On disk">{d.allocatedBytes !== undefined ? formatBytes(d.allocatedBytes) : "-"}</Td>
                    <Td dataLabel="Mode">{d.readonly ? "read-only" : "read-write"}</Td>
                    {canEdit ? (
                      <Td dataLabel="Actions" isActionCell>
                        <div className="vmctl-row-actions">
                          <ExplainedButton variant="secondary" size="sm" why={storageWhy ?? (d.virtualSizeBytes === undefined ? "The image is missing." : null)} aria-label={`Grow ${d.id}`} onClick={() => setDialog({ kind: "grow", disk: d })}>Grow</ExplainedButton>
                          <ExplainedButton variant="secondary" size="sm" why={unplugWhy} aria-label={`Detach ${d.id}`} onClick={() => setDialog({ kind: "detach", disk: d })}>Detach</ExplainedButton>
                        </div>
                      </Td>
                    ) : null}
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        ))}
      </section>

      <section aria-label="CD-ROM drives">
        <SectionHead title="CD-ROM drives">
          {canEdit ? <ExplainedButton variant="secondary" why={refusal.addCdrom(vm)} onClick={() => setDialog({ kind: "add-cdrom" })}>Add CD drive</ExplainedButton> : null}
        </SectionHead>
        {body(drives.length === 0 ? <p className="vmctl-muted">No CD-ROM drives.</p> : (
          <Table variant="compact" aria-label="CD-ROM drives" data-testid="cdroms">
            <Thead><Tr><Th>Device</Th><Th>Medium</Th><Th>Bus</Th>{canEdit ? <Th screenReaderText="Actions" /> : null}</Tr></Thead>
            <Tbody>
              {drives.map((c) => (
                <Tr key={c.id}>
                  <Td dataLabel="Device"><strong>{c.id}</strong></Td>
                  <Td dataLabel="Medium" modifier="breakWord">{c.file ? <>{c.file} <span className="vmctl-muted">on {c.datastore}</span></> : <span className="vmctl-muted">empty drive</span>}</Td>
                  <Td dataLabel="Bus">{c.bus}</Td>
                  {canEdit ? (
                    <Td dataLabel="Actions" isActionCell>
                      <div className="vmctl-row-actions">
                        <ExplainedButton variant="secondary" size="sm" why={storageWhy} aria-label={`${c.file ? "Change the ISO in" : "Insert an ISO into"} ${c.id}`} onClick={() => setDialog({ kind: "insert", drive: c.id })}>{c.file ? "Change ISO" : "Insert ISO"}</ExplainedButton>
                        {c.file ? <ExplainedButton variant="secondary" size="sm" why={storageWhy} aria-label={`Eject ${c.id}`} onClick={() => void run(`eject ${c.id}`, () => setMedium(vm.name, c.id, null))}>Eject</ExplainedButton> : null}
                      </div>
                    </Td>
                  ) : null}
                </Tr>
              ))}
            </Tbody>
          </Table>
        ))}
      </section>

      {dialog?.kind === "add-disk" ? <AddDiskDialog {...props} running={running} datastore={vm.datastore} /> : null}
      {dialog?.kind === "grow" ? <GrowDiskDialog {...props} disk={dialog.disk} /> : null}
      {dialog?.kind === "detach" ? <DetachDiskDialog {...props} disk={dialog.disk} deletable={inVmFolder(dialog.disk)} /> : null}
      {dialog?.kind === "insert" ? <InsertIsoDialog {...props} drive={dialog.drive} /> : null}
      {dialog?.kind === "add-cdrom" ? <AddCdromDialog {...props} /> : null}
    </>
  );
}
