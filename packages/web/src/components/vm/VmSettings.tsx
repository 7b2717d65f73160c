// The Overview's Configuration card: what a CLI or TOML user can change about a VM, each with its
// edit button and dialog: CPUs, memory, autostart (order and delay), boot order, description and
// notes. Each saves by PATCH /api/v1/vms/NAME with If-Match (a 412 says it changed elsewhere), and
// a change a running VM takes only at its next start shows as pending beside the value.
import { useEffect, useState, type ReactNode } from "react";
import { Button, Card, CardBody, CardHeader, CardTitle, Checkbox, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, FormGroup, TextArea, TextInput } from "@patternfly/react-core";
import type { PendingChange, VmDefinitionPatch, VmDetail, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { ApiError, client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { useLiveEvents } from "../../state/host-data";
import { useSession } from "../../state/session";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint } from "../shared/form-help";

type Editing = "cpus" | "memory" | "autostart" | "boot" | "text" | null;

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
/** "1 GiB", "512MiB", "1.5 G" → the definition's spelling ("1GiB") and its bytes; null when it is no size. */
export function parseMemory(text: string): { memory: string; bytes: number } | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = match[2]!.toUpperCase();
  const bytes = Math.round(Number(match[1]) * UNITS[unit.toLowerCase()]!);
  return { memory: `${match[1]}${unit}iB`, bytes };
}
/** "512MiB" → "512 MiB", as a person writes it. */
const spaced = (memory: string) => memory.replace(/^([\d.]+)\s*/, "$1 ");

const MIN_MEMORY = 16 * 1024 ** 2;
const MAX_MEMORY = 4 * 1024 ** 4;

function Pending({ change, testId }: { change: PendingChange | undefined; testId: string }) {
  if (!change) return null;
  const show = (v: string) => (v === "" ? "none" : change.field === "memory" ? spaced(v) : v);
  // Plain text in the text colour (a warning bar beside it), not a Label: a Label truncates, and this sentence must be read whole.
  return (
    <span data-testid={testId} className="vmctl-pending vmctl-small" style={{ display: "block", fontWeight: 600, borderLeft: "3px solid var(--pf-t--global--border--color--status--warning--default, #f0ab00)", paddingLeft: 6, marginTop: 2 }}>
      {show(change.running)} → {show(change.next)} pending: applies at next start
    </span>
  );
}

function Row({ term, children, edit }: { term: string; children: ReactNode; edit: ReactNode }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription>
        <div style={{ display: "flex", alignItems: "baseline", gap: "0.5rem" }}>
          <span className="vmctl-settings__value" style={{ flex: "1 1 auto", minWidth: 0, overflowWrap: "anywhere" }}>{children}</span>
          {edit ? <span style={{ flex: "none" }}>{edit}</span> : null}
        </div>
      </DescriptionListDescription>
    </DescriptionListGroup>
  );
}

export function VmSettings({ vm }: { vm: VmSummary }) {
  const { can } = useSession();
  const [version, setVersion] = useState(0);
  useLiveEvents((event: VmctlEvent) => { if (event.vm === vm.name && event.type.startsWith("vm.")) setVersion((v) => v + 1); });
  const { data: loaded, error, reload } = useApi(() => client.getVm(vm.name), ["vm-settings", vm.name], `${version}/${vm.state}/${vm.cpus}/${vm.memoryBytes}/${vm.autostart}`);
  // A save answers the VM as it now is (its new ETag): the next dialog opens with that, not with the
  // read still under way (opening Memory right after saving CPUs sent the old ETag and got a 412).
  const [saved, setSaved] = useState<VmDetail | null>(null);
  useEffect(() => { setSaved(null); }, [loaded]);
  const detail = saved ?? loaded;
  const afterSave = (answer?: VmDetail) => { if (answer) setSaved(answer); reload(); };
  const [editing, setEditing] = useState<Editing>(null);
  const def = detail?.definition ?? null;
  const mayEdit = can("vm.edit", vm.name) && !vm.template && def !== null;
  const pending = (field: string) => detail?.pendingChanges?.find((c) => c.field === field);
  const bootPending = detail?.pendingChanges?.find((c) => c.field.startsWith("boot."));
  const editButton = (what: Editing, label: string) => (mayEdit ? <Button variant="link" isInline size="sm" onClick={() => setEditing(what)}>{label}</Button> : null);
  const devices = def ? bootDevices(def) : [];
  const order = def?.boot.order ?? [];
  return (
    <Card isCompact className="vmctl-overview__card" component="section" aria-label="Configuration" data-testid="vm-settings">
      <CardHeader><CardTitle component="h2">Configuration</CardTitle></CardHeader>
      <CardBody className="vmctl-overview__body">
        {error ? <p className="vmctl-muted">Could not read the configuration: {error.message}</p> : null}
        {detail && !def ? <p className="vmctl-muted">The definition does not validate: fix it in Edit definition.</p> : null}
        {vm.template ? <p className="vmctl-muted vmctl-small">A template does not change; convert it to a VM to edit it.</p> : null}
        {def ? (
          <DescriptionList isCompact isHorizontal aria-label="Configuration" className="vmctl-overview__facts">
            <Row term="CPUs" edit={editButton("cpus", "Edit CPUs")}><span data-testid="settings-cpus">{def.cpus}</span> <Pending change={pending("cpus")} testId="pending-cpus" /></Row>
            <Row term="Memory" edit={editButton("memory", "Edit memory")}><span data-testid="settings-memory">{spaced(def.memory)}</span> <Pending change={pending("memory")} testId="pending-memory" /></Row>
            <Row term="Autostart" edit={editButton("autostart", "Edit autostart")}>
              <span data-testid="settings-autostart">{def.policy.autostart ? `with the host, order ${def.policy.autostart_order}${def.policy.autostart_delay ? `, then ${def.policy.autostart_delay} s before the next` : ""}` : "no"}</span>
            </Row>
            <Row term="Boot order" edit={editButton("boot", "Edit boot order")}>
              <span data-testid="settings-boot">{def.boot.kernel ? "direct kernel boot" : order.length ? order.join(", ") : "firmware default"}</span>
              {bootPending ? <> <Pending change={bootPending} testId="pending-boot" /></> : null}
            </Row>
            <Row term="Description" edit={editButton("text", "Edit description and notes")}>
              <span data-testid="settings-description">{def.description || <span className="vmctl-muted">none</span>}</span>
            </Row>
            <Row term="Notes" edit={null}>
              {def.notes ? <span data-testid="settings-notes" style={{ whiteSpace: "pre-wrap" }}>{def.notes}</span> : <span className="vmctl-muted" data-testid="settings-notes">none</span>}
            </Row>
          </DescriptionList>
        ) : null}
        {def && detail && editing === "cpus" ? <CpusDialog vm={vm} detail={detail} onClose={() => setEditing(null)} onSaved={afterSave} /> : null}
        {def && detail && editing === "memory" ? <MemoryDialog vm={vm} detail={detail} onClose={() => setEditing(null)} onSaved={afterSave} /> : null}
        {def && detail && editing === "autostart" ? <AutostartDialog vm={vm} detail={detail} onClose={() => setEditing(null)} onSaved={afterSave} /> : null}
        {def && detail && editing === "boot" ? <BootOrderDialog vm={vm} detail={detail} devices={devices} onClose={() => setEditing(null)} onSaved={afterSave} /> : null}
        {def && detail && editing === "text" ? <TextDialog vm={vm} detail={detail} onClose={() => setEditing(null)} onSaved={afterSave} /> : null}
      </CardBody>
    </Card>
  );
}

interface DialogProps { vm: VmSummary; detail: VmDetail; onClose: () => void; onSaved: (answer?: VmDetail) => void }

/** Saves a merge patch guarded by the ETag the dialog was opened with; a 412 says it changed elsewhere. */
function useSave(vm: VmSummary, detail: VmDetail, onSaved: (answer?: VmDetail) => void) {
  const run = useAction();
  // The definition as the dialog showed it when it opened: a change made elsewhere meanwhile is not overwritten.
  const [etag] = useState(detail.etag);
  return async (what: string, patch: VmDefinitionPatch): Promise<boolean> => {
    const saved = await run(what, async () => {
      try {
        return await client.patchVm(vm.name, patch, etag);
      } catch (error) {
        if (error instanceof ApiError && error.status === 412) {
          onSaved();
          throw new Error(`${vm.name} was changed elsewhere since this page read it; reload (the values shown are read again now) and apply your change again.`);
        }
        throw error;
      }
    });
    onSaved(saved);
    return saved !== undefined;
  };
}

const nextStart = (vm: VmSummary) => (vm.state === "running" || vm.state === "paused" ? <p className="vmctl-small vmctl-muted">{vm.name} is {vm.state}: the change applies at its next start (shown as pending until then).</p> : null);

function CpusDialog({ vm, detail, onClose, onSaved }: DialogProps) {
  const save = useSave(vm, detail, onSaved);
  const [text, setText] = useState(String(detail.definition!.cpus));
  const cpus = Number(text);
  const error = /^\d+$/.test(text.trim()) && cpus >= 1 && cpus <= 256 ? null : "A whole number from 1 to 256.";
  return (
    <ActionModal title={`CPUs of ${vm.name}`} submitLabel="Save" busyLabel="Saving…" isDisabled={error !== null} focus="#settings-cpus"
      onSubmit={() => save(`change the CPUs of ${vm.name}`, { cpus })} onClose={onClose}>
      <FormGroup label="CPUs" isRequired fieldId="settings-cpus">
        <TextInput id="settings-cpus" type="number" min={1} max={256} value={text} onChange={(_e, v) => setText(v)} validated={error ? "error" : "default"} />
        {error ? hint(error, true) : hint("Virtual CPUs the guest sees.")}
      </FormGroup>
      {nextStart(vm)}
    </ActionModal>
  );
}

function MemoryDialog({ vm, detail, onClose, onSaved }: DialogProps) {
  const save = useSave(vm, detail, onSaved);
  const [text, setText] = useState(spaced(detail.definition!.memory));
  const parsed = parseMemory(text);
  const error = !parsed ? "A size with its unit, such as 512 MiB or 2 GiB." : parsed.bytes < MIN_MEMORY ? "At least 16 MiB." : parsed.bytes > MAX_MEMORY ? "At most 4 TiB." : null;
  return (
    <ActionModal title={`Memory of ${vm.name}`} submitLabel="Save" busyLabel="Saving…" isDisabled={error !== null} focus="#settings-memory"
      onSubmit={() => save(`change the memory of ${vm.name}`, { memory: parsed!.memory })} onClose={onClose}>
      <FormGroup label="Memory" isRequired fieldId="settings-memory">
        <TextInput id="settings-memory" value={text} onChange={(_e, v) => setText(v)} validated={error ? "error" : "default"} />
        {error ? hint(error, true) : hint("With its unit: MiB or GiB (e.g. 1 GiB).")}
      </FormGroup>
      {nextStart(vm)}
    </ActionModal>
  );
}

function AutostartDialog({ vm, detail, onClose, onSaved }: DialogProps) {
  const save = useSave(vm, detail, onSaved);
  const policy = detail.definition!.policy;
  const [on, setOn] = useState(policy.autostart);
  const [order, setOrder] = useState(String(policy.autostart_order));
  const [delay, setDelay] = useState(String(policy.autostart_delay));
  const orderError = /^-?\d+$/.test(order.trim()) && Math.abs(Number(order)) <= 1000 ? null : "A whole number from -1000 to 1000.";
  const delayError = /^\d+$/.test(delay.trim()) && Number(delay) <= 3600 ? null : "Seconds, from 0 to 3600.";
  return (
    <ActionModal title={`Autostart of ${vm.name}`} submitLabel="Save" busyLabel="Saving…" isDisabled={orderError !== null || delayError !== null} focus="#settings-autostart"
      onSubmit={() => save(`change the autostart of ${vm.name}`, { policy: { autostart: on, autostart_order: Number(order), autostart_delay: Number(delay) } })} onClose={onClose}>
      <Checkbox id="settings-autostart" label="Start with the host" isChecked={on} onChange={(_e, v) => setOn(v)}
        description="At the first vmctld start after the host boots; a VM someone stopped stays stopped over a vmctld restart." />
      <FormGroup label="Autostart order" fieldId="settings-autostart-order">
        <TextInput id="settings-autostart-order" type="number" min={-1000} max={1000} value={order} onChange={(_e, v) => setOrder(v)} validated={orderError ? "error" : "default"} />
        {orderError ? hint(orderError, true) : hint("Lower starts first; equal orders start by name.")}
      </FormGroup>
      <FormGroup label="Autostart delay" fieldId="settings-autostart-delay">
        <TextInput id="settings-autostart-delay" type="number" min={0} max={3600} value={delay} onChange={(_e, v) => setDelay(v)} validated={delayError ? "error" : "default"} />
        {delayError ? hint(delayError, true) : hint("Seconds to wait after this VM has started before the next one starts.")}
      </FormGroup>
    </ActionModal>
  );
}

interface BootDevice { id: string; kind: string; detail: string }

function bootDevices(def: NonNullable<VmDetail["definition"]>): BootDevice[] {
  return [
    ...Object.entries(def.disks).map(([id, d]) => ({ id, kind: "Disk", detail: d.file })),
    ...Object.entries(def.cdroms).map(([id, c]) => ({ id, kind: "CD/DVD", detail: c.iso ?? "empty drive" })),
    ...Object.entries(def.nics).map(([id, n]) => ({ id, kind: "Network (PXE)", detail: n.network })),
  ];
}

function BootOrderDialog({ vm, detail, devices, onClose, onSaved }: DialogProps & { devices: BootDevice[] }) {
  const save = useSave(vm, detail, onSaved);
  const def = detail.definition!;
  // The devices in the order now first (those booted from), then the rest.
  const [list, setList] = useState(() => {
    const ids = devices.map((d) => d.id);
    const first = def.boot.order.filter((id) => ids.includes(id));
    return [...first, ...ids.filter((id) => !first.includes(id))];
  });
  const [chosen, setChosen] = useState(() => new Set(def.boot.order));
  const byId = new Map(devices.map((d) => [d.id, d]));
  const move = (index: number, by: number) => setList((l) => {
    const next = [...l];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    return next;
  });
  const order = list.filter((id) => chosen.has(id));
  return (
    <ActionModal title={`Boot order of ${vm.name}`} size="medium" submitLabel="Save" busyLabel="Saving…" focus="#boot-order-list input"
      onSubmit={() => save(`change the boot order of ${vm.name}`, { boot: { order } })} onClose={onClose}>
      {def.boot.kernel ? <p className="vmctl-small vmctl-muted">{vm.name} boots a kernel directly ([boot] kernel): the firmware&apos;s boot order is used only without one.</p> : null}
      {devices.length === 0 ? <p>{vm.name} has no disks, CD/DVD drives or network adapters to boot from.</p> : (
        <ol id="boot-order-list" aria-label="Boot order" className="vmctl-boot-order" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {list.map((id, index) => {
            const device = byId.get(id)!;
            return (
              <li key={id} data-testid={`boot-item-${id}`} style={{ display: "flex", alignItems: "center", gap: "0.5rem", padding: "0.25rem 0" }}>
                <Checkbox id={`boot-${id}`} label={`${id}`} aria-label={`Boot from ${id}`} isChecked={chosen.has(id)}
                  onChange={(_e, v) => setChosen((s) => { const n = new Set(s); if (v) n.add(id); else n.delete(id); return n; })}
                  description={`${device.kind}: ${device.detail}`} />
                <span style={{ marginLeft: "auto" }} />
                <Button variant="secondary" size="sm" isDisabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move ${id} up`}>Move up</Button>
                <Button variant="secondary" size="sm" isDisabled={index === list.length - 1} onClick={() => move(index, 1)} aria-label={`Move ${id} down`}>Move down</Button>
              </li>
            );
          })}
        </ol>
      )}
      <p className="vmctl-small" data-testid="boot-order-result">Boots from: {order.length ? order.join(", ") : "the firmware's default (nothing chosen)"}</p>
      {nextStart(vm)}
    </ActionModal>
  );
}

function TextDialog({ vm, detail, onClose, onSaved }: DialogProps) {
  const save = useSave(vm, detail, onSaved);
  const def = detail.definition!;
  const [description, setDescription] = useState(def.description);
  const [notes, setNotes] = useState(def.notes);
  const descriptionError = description.length > 1024 ? `At most 1024 characters (${description.length}).` : /[\n\r]/.test(description) ? "One line; longer text goes into the notes." : null;
  const notesError = new TextEncoder().encode(notes).length > 16384 ? "At most 16 KiB." : null;
  return (
    <ActionModal title={`Description and notes of ${vm.name}`} size="medium" submitLabel="Save" busyLabel="Saving…" isDisabled={descriptionError !== null || notesError !== null} focus="#settings-description"
      onSubmit={() => save(`change the description of ${vm.name}`, { description: description.trim() ? description : null, notes: notes.trim() ? notes : null })} onClose={onClose}>
      <FormGroup label="Description" fieldId="settings-description">
        <TextInput id="settings-description" value={description} onChange={(_e, v) => setDescription(v)} validated={descriptionError ? "error" : "default"} />
        {descriptionError ? hint(descriptionError, true) : hint("One line, shown in the inventory's Description column.")}
      </FormGroup>
      <FormGroup label="Notes" fieldId="settings-notes">
        <TextArea id="settings-notes" value={notes} onChange={(_e, v) => setNotes(v)} rows={6} resizeOrientation="vertical" validated={notesError ? "error" : "default"} />
        {notesError ? hint(notesError, true) : hint("Free text for whoever looks after it: owner, purpose, how to restore it.")}
      </FormGroup>
    </ActionModal>
  );
}
