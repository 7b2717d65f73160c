// The Create VM wizard: name and size, storage and boot, network and consoles, review. Field errors
// come from the same schema on the server and are shown beside the field they name. It works from
// the keyboard alone: focus starts in the name, Enter in a field goes to the next step.
import { useState, type ReactNode } from "react";
import { Button, Checkbox, Form, FormGroup, HelperText, HelperTextItem, Modal, ModalVariant, NumberInput, Radio, TextInput, Wizard, WizardHeader, WizardStep, CodeBlock, CodeBlockCode, useWizardContext } from "@patternfly/react-core";
import { client, ApiError } from "../../api/http";
import type { IsoRef } from "../../api/vm-storage";
import { hint } from "../shared/form-help";
import { IsoSelect } from "../storage/IsoSelect";
import { navigate } from "../../state/router";

interface Issue { field: string; message: string }

const STEP_OF_FIELD = (field: string) => (field.startsWith("disks") || field.startsWith("boot") || field.startsWith("cdroms") ? "storage" : field.startsWith("nics") || field.startsWith("console") ? "network" : "general");

export function CreateVmWizard({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [cpus, setCpus] = useState(1);
  const [memory, setMemory] = useState("512MiB");
  const [disk, setDisk] = useState("10GiB");
  const [boot, setBoot] = useState<"disk" | "iso" | "kernel">("disk");
  const [iso, setIso] = useState<IsoRef | null>(null);
  const [kernel, setKernel] = useState({ datastore: "local", kernel: "", initrd: "", cmdline: "console=ttyS0" });
  const [nic, setNic] = useState(true);
  const [serial, setSerial] = useState(true);
  const [vnc, setVnc] = useState(true);
  const [start, setStart] = useState(true);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const definition = {
    name, cpus, memory,
    ...(disk ? { disks: { disk0: { file: `${name || "<name>"}/disk0.qcow2`, size: disk } } } : {}),
    ...(boot === "iso" ? { cdroms: { cdrom0: iso ? { iso: iso.path, datastore: iso.datastore } : {} }, boot: { order: ["cdrom0", ...(disk ? ["disk0"] : [])] } } : {}),
    ...(boot === "kernel" ? { boot: { datastore: kernel.datastore, kernel: kernel.kernel, ...(kernel.initrd ? { initrd: kernel.initrd } : {}), ...(kernel.cmdline ? { cmdline: kernel.cmdline } : {}) } } : {}),
    ...(nic ? { nics: { net0: { network: "nat", model: "virtio", mac: "auto" } } } : {}),
    console: { serial, vnc },
  };
  const errorFor = (...fields: string[]) => issues.find((i) => fields.some((f) => i.field === f || i.field.startsWith(`${f}.`)))?.message;
  const helper = (message: string | undefined) => (message ? hint(message, true) : null);

  const create = async (goTo: (id: string) => void) => {
    setBusy(true);
    setIssues([]);
    setFailure(null);
    try {
      await client.createVm(definition);
      if (start) await client.power(name, { action: "start" });
      onClose();
      navigate(`/ui/vms/${encodeURIComponent(name)}`);
    } catch (error) {
      const details = error instanceof ApiError ? (error.details as { issues?: Issue[] } | undefined) : undefined;
      const found = details?.issues ?? [];
      setIssues(found);
      setFailure((error as Error).message);
      if (found[0]) goTo(STEP_OF_FIELD(found[0].field));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal variant={ModalVariant.large} isOpen aria-labelledby="create-vm-title" onEscapePress={onClose} elementToFocus="#vm-name">
      <Wizard onClose={onClose} height={560} navAriaLabel="Steps of creating a VM"
        header={<WizardHeader title="Create a virtual machine" titleId="create-vm-title" description="Escape or Cancel closes it without creating anything." isCloseHidden onClose={onClose} />}>
        <WizardStep name="Name and size" id="general">
          <StepForm>
            <FormGroup label="Name" isRequired fieldId="vm-name">
              <TextInput id="vm-name" aria-label="Name" value={name} onChange={(_e, v) => setName(v)} validated={errorFor("name") ? "error" : "default"} />
              {helper(errorFor("name") ?? (name ? undefined : "lower-case letters, digits, - _ ."))}
            </FormGroup>
            <FormGroup label="CPUs" fieldId="vm-cpus">
              <NumberInput id="vm-cpus" value={cpus} min={1} max={256} onMinus={() => setCpus(Math.max(1, cpus - 1))} onPlus={() => setCpus(cpus + 1)} onChange={(e) => setCpus(Number((e.target as HTMLInputElement).value) || 1)} inputAriaLabel="CPUs" />
              {helper(errorFor("cpus"))}
            </FormGroup>
            <FormGroup label="Memory" fieldId="vm-memory">
              <TextInput id="vm-memory" aria-label="Memory" value={memory} onChange={(_e, v) => setMemory(v)} validated={errorFor("memory") ? "error" : "default"} />
              {helper(errorFor("memory"))}
            </FormGroup>
          </StepForm>
        </WizardStep>
        <WizardStep name="Storage and boot" id="storage">
          <StepForm>
            <FormGroup label="Disk size (empty for no disk)" fieldId="vm-disk">
              <TextInput id="vm-disk" aria-label="Disk size" value={disk} onChange={(_e, v) => setDisk(v)} validated={errorFor("disks") ? "error" : "default"} />
              {helper(errorFor("disks"))}
            </FormGroup>
            <FormGroup role="radiogroup" label="Boot from" fieldId="vm-boot" isStack>
              <Radio id="boot-disk" name="boot" label="The disk" isChecked={boot === "disk"} onChange={() => setBoot("disk")} />
              <Radio id="boot-iso" name="boot" label="An ISO image from the ISO library" isChecked={boot === "iso"} onChange={() => setBoot("iso")} />
              <Radio id="boot-kernel" name="boot" label="A kernel (direct kernel boot)" isChecked={boot === "kernel"} onChange={() => setBoot("kernel")} />
            </FormGroup>
            {boot === "iso" ? (
              <FormGroup label="ISO image" fieldId="vm-iso"><IsoSelect id="vm-iso" value={iso} onChange={setIso} />{helper(errorFor("cdroms") ?? (iso ? undefined : "Without one the VM gets an empty CD drive; insert an ISO later on its Hardware tab."))}</FormGroup>
            ) : null}
            {boot === "kernel" ? (
              <>
                <FormGroup label="Datastore" fieldId="vm-kds"><TextInput id="vm-kds" aria-label="Kernel datastore" value={kernel.datastore} onChange={(_e, v) => setKernel({ ...kernel, datastore: v })} /></FormGroup>
                <FormGroup label="Kernel" fieldId="vm-kernel"><TextInput id="vm-kernel" aria-label="Kernel" value={kernel.kernel} onChange={(_e, v) => setKernel({ ...kernel, kernel: v })} />{helper(errorFor("boot.kernel", "boot"))}</FormGroup>
                <FormGroup label="Initrd" fieldId="vm-initrd"><TextInput id="vm-initrd" aria-label="Initrd" value={kernel.initrd} onChange={(_e, v) => setKernel({ ...kernel, initrd: v })} />{helper(errorFor("boot.initrd"))}</FormGroup>
                <FormGroup label="Command line" fieldId="vm-cmdline"><TextInput id="vm-cmdline" aria-label="Kernel command line" value={kernel.cmdline} onChange={(_e, v) => setKernel({ ...kernel, cmdline: v })} /></FormGroup>
              </>
            ) : null}
          </StepForm>
        </WizardStep>
        <WizardStep name="Network and consoles" id="network">
          <StepForm>
            <Checkbox id="vm-nic" label="One virtio network card on NAT" isChecked={nic} onChange={(_e, v) => setNic(v)} />
            <Checkbox id="vm-serial" label="Serial console" isChecked={serial} onChange={(_e, v) => setSerial(v)} />
            <Checkbox id="vm-vnc" label="Graphical console (VNC)" isChecked={vnc} onChange={(_e, v) => setVnc(v)} />
          </StepForm>
        </WizardStep>
        <WizardStep name="Review" id="review" footer={{ nextButtonProps: { style: { display: "none" } } }}>
          <ReviewStep definition={definition} start={start} setStart={setStart} failure={failure} onCreate={create} busy={busy} />
        </WizardStep>
      </Wizard>
    </Modal>
  );
}

/** A step's form: Enter in a field goes on to the next step instead of submitting the page. */
function StepForm({ children }: { children: ReactNode }) {
  const wizard = useWizardContext();
  return <Form onSubmit={(e) => { e.preventDefault(); void wizard.goToNextStep(); }}>{children}<button type="submit" className="pf-v6-screen-reader" aria-hidden="true" tabIndex={-1} /></Form>;
}

function ReviewStep({ definition, start, setStart, failure, onCreate, busy }: { definition: object; start: boolean; setStart: (v: boolean) => void; failure: string | null; onCreate: (goTo: (id: string) => void) => Promise<void>; busy: boolean }) {
  return (
    <>
      <CodeBlock><CodeBlockCode>{JSON.stringify(definition, null, 2)}</CodeBlockCode></CodeBlock>
      <Checkbox id="vm-start" label="Start the VM once created" isChecked={start} onChange={(_e, v) => setStart(v)} style={{ marginTop: 12 }} />
      {failure ? <HelperText><HelperTextItem variant="error">{failure}</HelperTextItem></HelperText> : null}
      <WizardCreateButton onCreate={onCreate} busy={busy} />
    </>
  );
}

function WizardCreateButton({ onCreate, busy }: { onCreate: (goTo: (id: string) => void) => Promise<void>; busy: boolean }) {
  const wizard = useWizardContext();
  return <Button variant="primary" style={{ marginTop: 12 }} isDisabled={busy} onClick={() => void onCreate((id) => wizard.goToStepById(id))}>{busy ? "Creating…" : "Create virtual machine"}</Button>;
}
