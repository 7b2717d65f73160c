// Import a VM: an OVA uploaded from this computer (vmctld unpacks it as it arrives; the bar shows
// the upload), or an OVA, OVF or libvirt domain already in a datastore. Converting the disks is a
// task: the dialog closes when it starts and the tasks panel follows it.
import { useRef, useState } from "react";
import { Checkbox, FormGroup, FormSelect, FormSelectOption, Progress, ProgressMeasureLocation, Radio, TextInput } from "@patternfly/react-core";
import { client } from "../../api/http";
import type { Sending } from "../../api/transfer";
import { useApi } from "../../api/use-api";
import { importFromDatastore, importUpload, type IsoRef } from "../../api/vm-storage";
import { formatBytes } from "../../format";
import type { RunAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint, NAME_RULE } from "../shared/form-help";
import { FileButton } from "../shared/FileButton";
import { FilePicker } from "../storage/FilePicker";


export function ImportVmDialog({ run, onClose }: { run: RunAction; onClose: () => void }) {
  const [source, setSource] = useState<"upload" | "datastore">("upload");
  const [file, setFile] = useState<File | null>(null);
  const [inStore, setInStore] = useState<IsoRef | null>(null);
  const [name, setName] = useState("");
  const [target, setTarget] = useState("");
  const [start, setStart] = useState(false);
  const [sent, setSent] = useState<number | null>(null);
  const sending = useRef<Sending<unknown> | null>(null);
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const options = { ...(name ? { name } : {}), ...(target ? { datastore: target } : {}), ...(start ? { start } : {}) };
  const ready = (source === "upload" ? file !== null : inStore !== null) && (!name || NAME_RULE.test(name));
  const submit = async () => {
    if (source === "datastore") return (await run(`import ${inStore!.path}`, () => importFromDatastore(inStore!, options))) !== undefined;
    const upload = importUpload(file!, options, setSent);
    sending.current = upload;
    setSent(0);
    const task = await run(`import ${file!.name}`, () => upload.done);
    sending.current = null;
    setSent(null);
    return task !== undefined;
  };
  const close = () => { sending.current?.abort(); onClose(); };
  return (
    <ActionModal title="Import a virtual machine" size="medium" submitLabel="Import" busyLabel={sent !== null ? "Uploading…" : "Importing…"} isDisabled={!ready}
      description="From VMware, VirtualBox or another vmctl: an OVA (its manifest is checked), an OVF with its disks, or a libvirt domain whose disks are in a datastore."
      onSubmit={submit} onClose={close}>
      <FormGroup role="radiogroup" label="From" fieldId="import-source" isStack>
        <Radio id="import-upload" name="import-source" label="An OVA file on this computer" isChecked={source === "upload"} onChange={() => setSource("upload")} />
        <Radio id="import-datastore" name="import-source" label="A package already in a datastore (.ova, .ovf or libvirt .xml)" isChecked={source === "datastore"} onChange={() => setSource("datastore")} />
      </FormGroup>
      {source === "upload" ? (
        <FormGroup label="OVA file" isRequired fieldId="import-file">
          <div style={{ display: "flex", gap: 12, alignItems: "center" }}>
            <FileButton label={file ? "Choose another" : "Choose an OVA"} inputLabel="OVA file to import" accept=".ova,application/x-tar" variant="secondary" onFiles={([f]) => setFile(f ?? null)} />
            <span id="import-file">{file ? `${file.name} (${formatBytes(file.size)})` : <span className="vmctl-muted">none chosen</span>}</span>
          </div>
          {sent !== null && file ? (
            <Progress value={file.size ? (sent / file.size) * 100 : 0} title={sent < file.size ? `Uploading: ${formatBytes(sent)} of ${formatBytes(file.size)}` : "Uploaded; vmctld is checking the package…"}
              measureLocation={ProgressMeasureLocation.outside} aria-label={`Upload of ${file.name}`} style={{ marginTop: 12 }} data-testid="import-progress" />
          ) : null}
        </FormGroup>
      ) : (
        <FormGroup label="Package" isRequired fieldId="import-package">
          <FilePicker id="import-package" accept={/\.(ova|ovf|xml)$/i} value={inStore} onChange={setInStore} />
        </FormGroup>
      )}
      <FormGroup label="Name" fieldId="import-name">
        <TextInput id="import-name" value={name} placeholder="as the package names it" onChange={(_e, v) => setName(v)} validated={name && !NAME_RULE.test(name) ? "error" : "default"} />
        {hint("Lower-case letters, digits, - _ and .; leave it empty to keep the package's name.", name !== "" && !NAME_RULE.test(name))}
      </FormGroup>
      <FormGroup label="Datastore" fieldId="import-target">
        <FormSelect id="import-target" value={target} onChange={(_e, v) => setTarget(v)}>
          <FormSelectOption value="" label="The default datastore" />
          {(stores.data?.datastores ?? []).map((d) => <FormSelectOption key={d.name} value={d.name} label={`${d.name} (${formatBytes(d.freeBytes)} free)`} />)}
        </FormSelect>
      </FormGroup>
      <Checkbox id="import-start" label="Start the VM once imported" isChecked={start} onChange={(_e, v) => setStart(v)} />
    </ActionModal>
  );
}
