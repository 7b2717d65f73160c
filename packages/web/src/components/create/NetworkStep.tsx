// The wizard's network step: network adapters (each on one of the host's networks, with its model),
// the consoles, and the first boot of a cloud image (cloud-init: host name, a user with an SSH key
// and an optional password hash).
import { Button, Checkbox, FormGroup, FormSelect, FormSelectOption, HelperText, HelperTextItem, TextArea, TextInput, Title } from "@patternfly/react-core";
import type { Network } from "@vmctl/api-types";
import { kindLabel } from "../../api/networks";
import { hint } from "../shared/form-help";
import { moreAbout, NIC_MODEL_HELP } from "./field-help";
import type { StepProps } from "./GeneralStep";
import { StepForm } from "./StepForm";
import type { NicChoice, NicModel } from "./wizard-model";

export function NetworkStep({ state, set, fields, networks }: StepProps & { networks: Network[] | undefined }) {
  const { error, touch } = fields;
  const help = (message: string | undefined, text?: React.ReactNode) => (message ? hint(message, true) : text ? hint(text) : null);
  const cloud = state.cloud;
  const setCloud = (patch: Partial<typeof cloud>) => set({ cloud: { ...cloud, ...patch } });
  const keyError = error("cloud_init.users.0.ssh_authorized_keys", "cloud_init.ssh_authorized_keys");
  const cloudImage = state.boot === "image" || state.boot === "upload";
  return (
    <StepForm>
      <NicsField nics={state.nics} setNics={(nics) => set({ nics })} networks={networks} error={error("nics")} />
      <Checkbox id="vm-serial" label="Serial console" isChecked={state.serial} onChange={(_e, v) => set({ serial: v })} />
      <Checkbox id="vm-vnc" label="Graphical console (VNC)" isChecked={state.vnc} onChange={(_e, v) => set({ vnc: v })} />
      <Title headingLevel="h3" size="md">First boot (cloud-init)</Title>
      <HelperText>
        <HelperTextItem>
          {cloudImage ? "A cloud image (Debian's genericcloud, Ubuntu's cloud images) sets itself up from these at its first boot: vmctld attaches a seed with them."
            : "For images with cloud-init (Debian and Ubuntu cloud images): vmctld attaches a seed with these settings."} Leave them empty for none.
        </HelperTextItem>
      </HelperText>
      <FormGroup label="Host name" fieldId="ci-hostname">
        <TextInput id="ci-hostname" value={cloud.hostname} placeholder={state.name || "the VM's name"} onChange={(_e, v) => setCloud({ hostname: v })} onBlur={touch("cloud_init.hostname")} validated={error("cloud_init.hostname") ? "error" : "default"} />
        {help(error("cloud_init.hostname"))}
      </FormGroup>
      <FormGroup label="User name" fieldId="ci-user">
        <TextInput id="ci-user" value={cloud.user} placeholder="alice" onChange={(_e, v) => setCloud({ user: v })} validated={error("cloud_init.users.0.name") ? "error" : "default"} />
        {help(error("cloud_init.users.0.name"), "Made at first boot. Without one, the SSH key is for the image's default user (debian, ubuntu).")}
      </FormGroup>
      <FormGroup label="SSH public key" fieldId="ci-key">
        <TextArea id="ci-key" value={cloud.key} placeholder="ssh-ed25519 AAAA… me@laptop" onChange={(_e, v) => setCloud({ key: v })} rows={3} resizeOrientation="vertical" validated={keyError ? "error" : "default"} />
        {help(keyError, "Paste the contents of a .pub file (one key a line); the private key never leaves your machine.")}
      </FormGroup>
      <FormGroup label="Password hash (optional)" fieldId="ci-hash">
        <TextInput id="ci-hash" value={cloud.passwordHash} placeholder="$6$…" onChange={(_e, v) => setCloud({ passwordHash: v })} validated={error("cloud_init.users.0.password_hash") ? "error" : "default"} />
        {help(error("cloud_init.users.0.password_hash"), <>A crypt(3) hash, e.g. the output of <code>openssl passwd -6</code>, never the password itself. Without one the password stays locked.</>)}
      </FormGroup>
      {cloud.user.trim() ? <Checkbox id="ci-sudo" label={`${cloud.user.trim()} may use sudo without a password`} isChecked={cloud.sudo} onChange={(_e, v) => setCloud({ sudo: v })} /> : null}
    </StepForm>
  );
}

/** Network adapters: each on one of the host's networks (a name typed in when they cannot be read), with its model. */
function NicsField({ nics, setNics, networks, error }: { nics: NicChoice[]; setNics: (n: NicChoice[]) => void; networks: Network[] | undefined; error: string | undefined }) {
  const change = (i: number, patch: Partial<NicChoice>) => setNics(nics.map((n, j) => (j === i ? { ...n, ...patch } : n)));
  return (
    <FormGroup label="Network adapters" fieldId="vm-nic-0" role="group" labelHelp={moreAbout("NIC model", NIC_MODEL_HELP)}>
      <div style={{ display: "grid", gap: 8 }} data-testid="wizard-nics">
        {nics.length === 0 ? <span className="vmctl-muted">None: the VM is offline.</span> : null}
        {nics.map((n, i) => (
          <div key={i} style={{ display: "flex", gap: 8, alignItems: "center" }}>
            <span style={{ minWidth: 40 }}>{`net${i}`}</span>
            {networks ? (
              <FormSelect id={`vm-nic-${i}`} aria-label={`Network of net${i}`} value={n.network} onChange={(_e, v) => change(i, { network: v })} style={{ flex: 2 }}>
                {networks.some((x) => x.name === n.network) ? null : <FormSelectOption value={n.network} label={n.network} />}
                {networks.map((x) => <FormSelectOption key={x.name} value={x.name} label={`${x.name} — ${kindLabel(x)}${x.state === "failed" ? " (failed)" : ""}`} />)}
              </FormSelect>
            ) : <TextInput id={`vm-nic-${i}`} aria-label={`Network of net${i}`} value={n.network} onChange={(_e, v) => change(i, { network: v })} style={{ flex: 2 }} />}
            <FormSelect aria-label={`Model of net${i}`} value={n.model} onChange={(_e, v) => change(i, { model: v as NicModel })} style={{ flex: 1 }}>
              <FormSelectOption value="virtio" label="virtio" />
              <FormSelectOption value="e1000" label="e1000 (Intel)" />
              <FormSelectOption value="rtl8139" label="rtl8139 (Realtek)" />
            </FormSelect>
            <Button variant="link" isDanger aria-label={`Remove net${i}`} onClick={() => setNics(nics.filter((_n, j) => j !== i))}>Remove</Button>
          </div>
        ))}
        <div><Button variant="secondary" size="sm" onClick={() => setNics([...nics, { network: networks?.[0]?.name ?? "default", model: "virtio" }])}>Add network adapter</Button></div>
      </div>
      {error ? hint(error, true) : hint("Each adapter gets a MAC vmctld allocates; manage the networks on the Networks page.")}
    </FormGroup>
  );
}
