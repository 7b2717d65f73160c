// The Hardware tab's dialogs: add a disk (new, or an image already in a datastore), grow one,
// detach one (and perhaps delete its image), put an ISO in a CD drive, add a CD drive.
import { useState } from "react";
import { Checkbox, FormGroup, FormSelect, FormSelectOption, Radio, TextInput } from "@patternfly/react-core";
import type { DiskAddRequest, DiskInfo } from "@vmctl/api-types";
import { addCdrom, addDisk, detachDisk, growDisk, setMedium, type IsoRef } from "../../api/vm-storage";
import { humanSize } from "@vmctl/definition/sizes";
import { formatBytes } from "../../format";
import type { RunAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint } from "../shared/form-help";
import { FilePicker } from "../storage/FilePicker";
import { IsoSelect } from "../storage/IsoSelect";

/** As the API reads sizes (SIZE_PATTERN): a number and a unit, e.g. 10GiB, 512M. */
const SIZE = /^[0-9]+(\.[0-9]+)?\s*([KMGT]i?B?|B)?$/;
type Bus = NonNullable<DiskAddRequest["bus"]>;

interface DialogProps { vm: string; run: RunAction; onClose: () => void }

export function AddDiskDialog({ vm, run, onClose, running, datastore }: DialogProps & { running: boolean; datastore: string }) {
  const [source, setSource] = useState<"new" | "file">("new");
  const [size, setSize] = useState("10GiB");
  const [format, setFormat] = useState<"qcow2" | "raw">("qcow2");
  const [bus, setBus] = useState<Bus>("virtio");
  const [file, setFile] = useState<IsoRef | null>(null);
  const [readonly, setReadonly] = useState(false);
  const request: DiskAddRequest = source === "new" ? { size: size.trim(), format, bus } : { ...(file ? { file: file.path, datastore: file.datastore } : {}), bus, ...(readonly ? { readonly } : {}) };
  const ready = source === "new" ? SIZE.test(size.trim()) : file !== null;
  return (
    <ActionModal title={`Add a disk to ${vm}`} size="medium" submitLabel="Add disk" busyLabel="Adding…" isDisabled={!ready}
      description={running ? "The VM runs: a virtio disk is plugged in at once, as a new PCI device the guest sees." : undefined}
      onSubmit={async () => (await run(`add a disk to ${vm}`, () => addDisk(vm, request))) !== undefined} onClose={onClose}>
      <FormGroup role="radiogroup" label="Disk" fieldId="disk-source" isInline>
        <Radio id="disk-source-new" name="disk-source" label="A new disk" isChecked={source === "new"} onChange={() => setSource("new")} />
        <Radio id="disk-source-file" name="disk-source" label="An existing image in a datastore" isChecked={source === "file"} onChange={() => setSource("file")} />
      </FormGroup>
      {source === "new" ? (
        <>
          <FormGroup label="Size" isRequired fieldId="disk-size">
            <TextInput id="disk-size" value={size} onChange={(_e, v) => setSize(v)} validated={size && !SIZE.test(size.trim()) ? "error" : "default"} />
            {hint(`A size with its unit, e.g. 10GiB or 512MiB. The image is made in ${datastore}/${vm}/ and grows as the guest writes.`)}
          </FormGroup>
          <FormGroup label="Format" fieldId="disk-format">
            <FormSelect id="disk-format" value={format} onChange={(_e, v) => setFormat(v as "qcow2" | "raw")}>
              <FormSelectOption value="qcow2" label="qcow2 (snapshots, thin)" />
              <FormSelectOption value="raw" label="raw (fastest, no snapshots)" />
            </FormSelect>
          </FormGroup>
        </>
      ) : (
        <FormGroup label="Image file" isRequired fieldId="disk-file">
          <FilePicker id="disk-file" accept={/\.(qcow2|img|raw)$/i} value={file} onChange={setFile} initialDatastore={datastore} />
          <Checkbox id="disk-readonly" label="Read-only (several VMs may share it)" isChecked={readonly} onChange={(_e, v) => setReadonly(v)} style={{ marginTop: 8 }} />
        </FormGroup>
      )}
      <FormGroup label="Bus" fieldId="disk-bus">
        <FormSelect id="disk-bus" value={bus} onChange={(_e, v) => setBus(v as Bus)}>
          <FormSelectOption value="virtio" label="virtio (fastest; plugs into a running VM)" />
          {(["sata", "scsi", "ide"] as const).map((b) => <FormSelectOption key={b} value={b} label={b === "sata" ? "SATA" : b === "scsi" ? "SCSI" : "IDE"} isDisabled={running} />)}
        </FormSelect>
        {running ? hint("Only virtio disks plug into a running VM; stop it for another bus.") : null}
      </FormGroup>
    </ActionModal>
  );
}

export function GrowDiskDialog({ vm, run, onClose, disk }: DialogProps & { disk: DiskInfo }) {
  const [size, setSize] = useState("");
  const now = disk.virtualSizeBytes;
  return (
    <ActionModal title={`Grow ${disk.id} of ${vm}`} submitLabel="Grow disk" busyLabel="Growing…" isDisabled={!SIZE.test(size.trim())}
      onSubmit={async () => (await run(`grow ${disk.id}`, () => growDisk(vm, disk.id, size.trim()))) !== undefined} onClose={onClose}>
      <FormGroup label="New size" isRequired fieldId="grow-size">
        <TextInput id="grow-size" value={size} placeholder={now ? humanSize(now * 2) : "20GiB"} onChange={(_e, v) => setSize(v)} />
        {hint(`${now !== undefined ? `Now ${formatBytes(now)}. ` : ""}Disks only grow; the guest's partition and filesystem then need growing inside it.`)}
      </FormGroup>
    </ActionModal>
  );
}

export function DetachDiskDialog({ vm, run, onClose, disk, deletable }: DialogProps & { disk: DiskInfo; deletable: boolean }) {
  const [alsoDelete, setAlsoDelete] = useState(false);
  return (
    <ActionModal title={`Detach ${disk.id} from ${vm}?`} danger submitLabel={alsoDelete ? "Detach and delete" : "Detach"} busyLabel="Detaching…"
      onSubmit={async () => (await run(`detach ${disk.id}`, () => detachDisk(vm, disk.id, alsoDelete))) !== undefined} onClose={onClose}>
      <p>The guest loses the disk <strong>{disk.id}</strong> ({disk.file ?? "no image"}). A running guest is asked to let it go first.</p>
      {deletable
        ? <Checkbox id="detach-delete" label="Also delete the image file, and everything in it" isChecked={alsoDelete} onChange={(_e, v) => setAlsoDelete(v)} />
        : hint("The image lies outside the VM's folder and may be shared, so it stays in its datastore.")}
    </ActionModal>
  );
}

export function InsertIsoDialog({ vm, run, onClose, drive }: DialogProps & { drive: string }) {
  const [iso, setIso] = useState<IsoRef | null>(null);
  return (
    <ActionModal title={`Insert an ISO into ${drive}`} size="medium" submitLabel="Insert" busyLabel="Inserting…" isDisabled={!iso}
      onSubmit={async () => (await run(`insert the ISO`, () => setMedium(vm, drive, iso))) !== undefined} onClose={onClose}>
      <FormGroup label="ISO image" isRequired fieldId="insert-iso"><IsoSelect id="insert-iso" value={iso} onChange={setIso} /></FormGroup>
    </ActionModal>
  );
}

export function AddCdromDialog({ vm, run, onClose }: DialogProps) {
  const [bus, setBus] = useState<"" | "sata" | "ide" | "scsi">("");
  const [iso, setIso] = useState<IsoRef | null>(null);
  return (
    <ActionModal title={`Add a CD drive to ${vm}`} size="medium" submitLabel="Add CD drive" busyLabel="Adding…"
      onSubmit={async () => (await run(`add a CD drive to ${vm}`, () => addCdrom(vm, iso, bus || undefined))) !== undefined} onClose={onClose}>
      <FormGroup label="Bus" fieldId="cdrom-bus">
        <FormSelect id="cdrom-bus" value={bus} onChange={(_e, v) => setBus(v as typeof bus)}>
          <FormSelectOption value="" label="The machine's default" />
          <FormSelectOption value="sata" label="SATA" />
          <FormSelectOption value="ide" label="IDE" />
          <FormSelectOption value="scsi" label="SCSI (virtio-scsi)" />
        </FormSelect>
      </FormGroup>
      <FormGroup label="ISO image (optional)" fieldId="cdrom-iso"><IsoSelect id="cdrom-iso" value={iso} onChange={setIso} /></FormGroup>
    </ActionModal>
  );
}
