// The Create VM wizard: name and size, storage and boot, network adapters (each on one of the host's
// networks), consoles and first-boot setup (cloud-init: host name, a user with an SSH key and an
// optional password hash), then a review in words. Field errors
// come from the same schema on the server and are shown beside the field they name. It works from
// the keyboard alone: focus starts in the name, Enter in a field goes to the next step.
import { useEffect, useState, type ReactNode } from "react";
import { Button, Checkbox, DescriptionList, ExpandableSection, Form, FormGroup, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalVariant, NumberInput, Radio, TextArea, TextInput, Title, Wizard, WizardHeader, WizardStep, CodeBlock, CodeBlockCode, useWizardContext } from "@patternfly/react-core";
import type { Network } from "@vmctl/api-types";
import { client, ApiError } from "../../api/http";
import { useApi } from "../../api/use-api";
import { kindLabel } from "../../api/networks";
import { cloudInitTable, keyInWords, type CloudInit } from "../../api/cloud-init";
import { useSession } from "../../state/session";
import { Fact } from "../shared/Fact";
import type { IsoRef } from "../../api/vm-storage";
import { hint } from "../shared/form-help";
import { IsoSelect } from "../storage/IsoSelect";
import { navigate } from "../../state/router";

interface Issue { field: string; message: string }

const STEP_OF_FIELD = (field: string) => (field.startsWith("disks") || field.startsWith("boot") || field.startsWith("cdroms") ? "storage" : field.startsWith("nics") || field.startsWith("console") || field.startsWith("cloud_init") ? "network" : "general");

interface NicChoice { network: string }

export function CreateVmWizard({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [cpus, setCpus] = useState(1);
  const [memory, setMemory] = useState("512MiB");
  const [disk, setDisk] = useState("10GiB");
  const [boot, setBoot] = useState<"disk" | "iso" | "kernel">("disk");
  const [iso, setIso] = useState<IsoRef | null>(null);
  const [kernel, setKernel] = useState({ datastore: "local", kernel: "", initrd: "", cmdline: "console=ttyS0" });
  const { can } = useSession();
  const networks = useApi(can("host.read") ? () => client.listNetworks() : null, ["networks"]);
  const [nics, setNics] = useState<NicChoice[]>([{ network: "default" }]);
  const [cloud, setCloud] = useState<CloudInit>({ hostname: "", user: "", key: "", passwordHash: "", sudo: true });
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
    ...(nics.length ? { nics: Object.fromEntries(nics.map((n, i) => [`net${i}`, { network: n.network, model: "virtio", mac: "auto" }])) } : {}),
    console: { serial, vnc },
    ...(cloudInitTable(cloud) ? { cloud_init: cloudInitTable(cloud) } : {}),
  };
  // A refusal is about what was sent: once the definition changes, its messages go.
  const sent = JSON.stringify(definition);
  useEffect(() => { setIssues([]); setFailure(null); }, [sent]);
  const errorFor = (...fields: string[]) => issues.find((i) => fields.some((f) => i.field === f || i.field.startsWith(`${f}.`)))?.message;
  const helper = (message: string | undefined) => (message ? hint(message, true) : null);
  /** vmctld's refusal of the field when there is one, else the field's help. */
  const help = (error: string | undefined, text: ReactNode) => (error ? hint(error, true) : hint(text));

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
            <NicsField nics={nics} setNics={setNics} networks={networks.data} error={errorFor("nics")} />
            <Checkbox id="vm-serial" label="Serial console" isChecked={serial} onChange={(_e, v) => setSerial(v)} />
            <Checkbox id="vm-vnc" label="Graphical console (VNC)" isChecked={vnc} onChange={(_e, v) => setVnc(v)} />
            <Title headingLevel="h3" size="md">First boot (cloud-init)</Title>
            <HelperText><HelperTextItem>For images with cloud-init (Debian and Ubuntu cloud images): vmctld attaches a seed with these settings. Leave them empty for none.</HelperTextItem></HelperText>
            <FormGroup label="Host name" fieldId="ci-hostname">
              <TextInput id="ci-hostname" value={cloud.hostname} placeholder={name || "the VM's name"} onChange={(_e, v) => setCloud({ ...cloud, hostname: v })} validated={errorFor("cloud_init.hostname") ? "error" : "default"} />
              {helper(errorFor("cloud_init.hostname"))}
            </FormGroup>
            <FormGroup label="User name" fieldId="ci-user">
              <TextInput id="ci-user" value={cloud.user} placeholder="alice" onChange={(_e, v) => setCloud({ ...cloud, user: v })} validated={errorFor("cloud_init.users.0.name") ? "error" : "default"} />
              {help(errorFor("cloud_init.users.0.name"), "Made at first boot. Without one, the SSH key is for the image's default user (debian, ubuntu).")}
            </FormGroup>
            <FormGroup label="SSH public key" fieldId="ci-key">
              <TextArea id="ci-key" value={cloud.key} placeholder="ssh-ed25519 AAAA… me@laptop" onChange={(_e, v) => setCloud({ ...cloud, key: v })} rows={3} resizeOrientation="vertical"
                validated={errorFor("cloud_init.users.0.ssh_authorized_keys", "cloud_init.ssh_authorized_keys") ? "error" : "default"} />
              {help(errorFor("cloud_init.users.0.ssh_authorized_keys", "cloud_init.ssh_authorized_keys"), "Paste the contents of a .pub file (one key a line); the private key never leaves your machine.")}
            </FormGroup>
            <FormGroup label="Password hash (optional)" fieldId="ci-hash">
              <TextInput id="ci-hash" value={cloud.passwordHash} placeholder="$6$…" onChange={(_e, v) => setCloud({ ...cloud, passwordHash: v })} validated={errorFor("cloud_init.users.0.password_hash") ? "error" : "default"} />
              {help(errorFor("cloud_init.users.0.password_hash"), <>A crypt(3) hash, e.g. the output of <code>openssl passwd -6</code>, never the password itself. Without one the password stays locked.</>)}
            </FormGroup>
            {cloud.user.trim() ? <Checkbox id="ci-sudo" label={`${cloud.user.trim()} may use sudo without a password`} isChecked={cloud.sudo} onChange={(_e, v) => setCloud({ ...cloud, sudo: v })} /> : null}
          </StepForm>
        </WizardStep>
        <WizardStep name="Review" id="review" footer={{ nextButtonProps: { style: { display: "none" } } }}>
          <ReviewStep definition={definition} words={<ReviewWords name={name} cpus={cpus} memory={memory} disk={disk} boot={boot} iso={iso} kernel={kernel.kernel} nics={nics} networks={networks.data} cloud={cloud} serial={serial} vnc={vnc} />}
            start={start} setStart={setStart} failure={failure} onCreate={create} busy={busy} />
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

/** Network adapters: each on one of the host's networks (a name typed in when they cannot be read). */
function NicsField({ nics, setNics, networks, error }: { nics: NicChoice[]; setNics: (n: NicChoice[]) => void; networks: Network[] | undefined; error: string | undefined }) {
  const set = (i: number, network: string) => setNics(nics.map((n, j) => (j === i ? { network } : n)));
  return (
    <FormGroup label="Network adapters" fieldId="vm-nic-0" role="group">
      <div style={{ display: "grid", gap: 8 }} data-testid="wizard-nics">
        {nics.length === 0 ? <span className="vmctl-muted">None: the VM is offline.</span> : null}
        {nics.map((n, i) => (
          <div key={i} style={{ display: "flex", gap: 8, alignItems: "center" }}>
            <span style={{ minWidth: 40 }}>{`net${i}`}</span>
            {networks ? (
              <FormSelect id={`vm-nic-${i}`} aria-label={`Network of net${i}`} value={n.network} onChange={(_e, v) => set(i, v)} style={{ flex: 1 }}>
                {networks.some((x) => x.name === n.network) ? null : <FormSelectOption value={n.network} label={n.network} />}
                {networks.map((x) => <FormSelectOption key={x.name} value={x.name} label={`${x.name} — ${kindLabel(x)}${x.state === "failed" ? " (failed)" : ""}`} />)}
              </FormSelect>
            ) : <TextInput id={`vm-nic-${i}`} aria-label={`Network of net${i}`} value={n.network} onChange={(_e, v) => set(i, v)} />}
            <Button variant="link" isDanger aria-label={`Remove net${i}`} onClick={() => setNics(nics.filter((_n, j) => j !== i))}>Remove</Button>
          </div>
        ))}
        <div><Button variant="secondary" size="sm" onClick={() => setNics([...nics, { network: networks?.[0]?.name ?? "default" }])}>Add network adapter</Button></div>
      </div>
      {error ? hint(error, true) : hint("Each adapter is a virtio NIC with a MAC vmctld allocates; manage the networks on the Networks page.")}
    </FormGroup>
  );
}

interface ReviewProps { name: string; cpus: number; memory: string; disk: string; boot: "disk" | "iso" | "kernel"; iso: IsoRef | null; kernel: string; nics: NicChoice[]; networks: Network[] | undefined; cloud: CloudInit; serial: boolean; vnc: boolean }

/** The VM to be made, said in words. */
function ReviewWords({ name, cpus, memory, disk, boot, iso, kernel, nics, networks, cloud, serial, vnc }: ReviewProps) {
  const table = cloudInitTable(cloud);
  const keys = cloud.key.split("\n").map((k) => k.trim()).filter(Boolean);
  const network = (n: string) => { const x = networks?.find((y) => y.name === n); return x ? `${n} (${kindLabel(x)})` : n; };
  const user = cloud.user.trim();
  return (
    <DescriptionList isCompact isHorizontal columnModifier={{ default: "2Col" }} aria-label="The new VM" data-testid="wizard-review">
      <Fact term="Name">{name || "(none yet)"}</Fact>
      <Fact term="Size">{cpus} CPU{cpus === 1 ? "" : "s"}, {memory} of memory</Fact>
      <Fact term="Disk">{disk ? `a new ${disk} disk` : "none"}</Fact>
      <Fact term="Boots from">{boot === "iso" ? (iso ? `the ISO ${iso.path}` : "an empty CD drive") : boot === "kernel" ? `the kernel ${kernel || "(not given)"}` : "the disk"}</Fact>
      <Fact term="Network">{nics.length ? nics.map((n, i) => `net${i} on ${network(n.network)}`).join("; ") : "no adapters (offline)"}</Fact>
      <Fact term="Consoles">{[serial ? "serial" : "", vnc ? "graphical (VNC)" : ""].filter(Boolean).join(" and ") || "none"}</Fact>
      <Fact term="First boot">
        {table ? (
          <span data-testid="review-cloud-init">
            host name {cloud.hostname.trim() || `from the VM's name`}
            {user ? `; user ${user}${keys.length ? ` who logs in with ${keys.map(keyInWords).join(", ")}` : ""}${cloud.passwordHash.trim() ? `, with a password (hash given)` : ", password locked"}${cloud.sudo ? ", may sudo" : ""}`
              : keys.length ? `; the image's default user logs in with ${keys.map(keyInWords).join(", ")}` : ""}
          </span>
        ) : "no cloud-init seed"}
      </Fact>
    </DescriptionList>
  );
}

function ReviewStep({ definition, words, start, setStart, failure, onCreate, busy }: { definition: object; words: ReactNode; start: boolean; setStart: (v: boolean) => void; failure: string | null; onCreate: (goTo: (id: string) => void) => Promise<void>; busy: boolean }) {
  const [json, setJson] = useState(false);
  return (
    <>
      {words}
      <Checkbox id="vm-start" label="Start the VM once created" isChecked={start} onChange={(_e, v) => setStart(v)} style={{ marginTop: 12 }} />
      {failure ? <HelperText><HelperTextItem variant="error">{failure}</HelperTextItem></HelperText> : null}
      <WizardCreateButton onCreate={onCreate} busy={busy} />
      <ExpandableSection toggleText={json ? "Hide the definition" : "Show the definition (JSON)"} isExpanded={json} onToggle={(_e, v) => setJson(v)} style={{ marginTop: 12 }}>
        <CodeBlock><CodeBlockCode>{JSON.stringify(definition, null, 2)}</CodeBlockCode></CodeBlock>
      </ExpandableSection>
    </>
  );
}

function WizardCreateButton({ onCreate, busy }: { onCreate: (goTo: (id: string) => void) => Promise<void>; busy: boolean }) {
  const wizard = useWizardContext();
  return <Button variant="primary" style={{ marginTop: 12 }} isDisabled={busy} onClick={() => void onCreate((id) => wizard.goToStepById(id))}>{busy ? "Creating…" : "Create virtual machine"}</Button>;
}
