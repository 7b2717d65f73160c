// The wizard's first step: the name, what the VM starts from (a new VM, a template to deploy, or a
// package to import, which opens the import dialog), and for a new VM its CPUs, memory, machine
// type and firmware.
import { Button, FormGroup, FormSelect, FormSelectOption, NumberInput, Radio, TextInput } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import type { Datastore } from "@vmctl/api-types";
import { formatBytes } from "../../format";
import { hint } from "../shared/form-help";
import { FIRMWARE_HELP, MACHINE_HELP, moreAbout } from "./field-help";
import type { FieldErrors } from "./field-errors";
import { StepForm } from "./StepForm";
import type { WizardState } from "./wizard-model";

export interface StepProps { state: WizardState; set: (patch: Partial<WizardState>) => void; fields: FieldErrors }

export function GeneralStep({ state, set, fields, templates, datastores, onImport }: StepProps & { templates: VmSummary[] | undefined; datastores: Datastore[] | undefined; onImport?: () => void }) {
  const { error, touch } = fields;
  const help = (message: string | undefined, text?: string) => (message ? hint(message, true) : text ? hint(text) : null);
  return (
    <StepForm>
      <FormGroup label="Name" isRequired fieldId="vm-name">
        <TextInput id="vm-name" aria-label="Name" value={state.name} onChange={(_e, v) => set({ name: v })} onBlur={touch("name")} validated={error("name") ? "error" : "default"} />
        {help(error("name"), "Lower-case letters, digits, - _ and .")}
      </FormGroup>
      <FormGroup role="radiogroup" label="Start from" fieldId="vm-start-from" isStack>
        <Radio id="from-new" name="start-from" label="A new virtual machine" description="Choose its size here, then what it boots: an ISO, a disk or cloud image, or a kernel." isChecked={state.startFrom === "new"} onChange={() => set({ startFrom: "new" })} />
        <Radio id="from-template" name="start-from" label="A template (deploy a copy of it)" isChecked={state.startFrom === "template"} onChange={() => set({ startFrom: "template" })}
          description={templates && templates.length === 0 ? "No VM is a template yet: mark one with its Actions menu (Mark as template)." : "The new VM gets the template's CPUs, memory, disks and network adapters."} />
        {/* Not at vmcenter, which does not forward a host's import: onImport is absent there. */}
        {onImport ? (
          <div>
            <span className="vmctl-muted">An OVA, OVF or libvirt package from another hypervisor? </span>
            <Button variant="link" isInline onClick={onImport}>Import a package instead…</Button>
          </div>
        ) : null}
      </FormGroup>
      {state.startFrom === "template" ? (
        <>
          <FormGroup label="Template" isRequired fieldId="vm-template">
            <FormSelect id="vm-template" aria-label="Template" value={state.template} onChange={(_e, v) => set({ template: v })} onBlur={touch("template")} validated={error("template") ? "error" : "default"}>
              <FormSelectOption value="" label={templates === undefined ? "Reading the templates…" : "Choose a template"} isPlaceholder />
              {(templates ?? []).map((t) => <FormSelectOption key={t.name} value={t.name} label={`${t.name} (${t.cpus} CPU${t.cpus === 1 ? "" : "s"}, ${formatBytes(t.memoryBytes)})`} />)}
            </FormSelect>
            {help(error("template"))}
          </FormGroup>
          <FormGroup role="radiogroup" label="Kind of copy" fieldId="vm-clone-kind" isStack>
            <Radio id="clone-linked" name="clone-kind" label="Linked clone" description="Made at once: reads the template's disks, writes its changes to its own overlay." isChecked={state.linked} onChange={() => set({ linked: true })} />
            <Radio id="clone-full" name="clone-kind" label="Full copy" description="Owns its disks: takes as long as copying them." isChecked={!state.linked} onChange={() => set({ linked: false })} />
          </FormGroup>
          <FormGroup label="Datastore" fieldId="vm-clone-datastore">
            <FormSelect id="vm-clone-datastore" value={state.datastore} onChange={(_e, v) => set({ datastore: v })}>
              <FormSelectOption value="" label="The template's datastore" />
              {(datastores ?? []).map((d) => <FormSelectOption key={d.name} value={d.name} label={d.name} />)}
            </FormSelect>
          </FormGroup>
        </>
      ) : (
        <>
          <div style={{ display: "flex", gap: 24 }}>
            <FormGroup label="CPUs" fieldId="vm-cpus" style={{ flex: 1 }}>
              <NumberInput id="vm-cpus" value={state.cpus} min={1} max={256} onMinus={() => set({ cpus: Math.max(1, state.cpus - 1) })} onPlus={() => set({ cpus: state.cpus + 1 })}
                onChange={(e) => set({ cpus: Number((e.target as HTMLInputElement).value) || 1 })} inputAriaLabel="CPUs" minusBtnAriaLabel="One CPU fewer" plusBtnAriaLabel="One CPU more" />
              {help(error("cpus"))}
            </FormGroup>
            <FormGroup label="Memory" fieldId="vm-memory" style={{ flex: 2 }}>
              <TextInput id="vm-memory" aria-label="Memory" value={state.memory} onChange={(_e, v) => set({ memory: v })} onBlur={touch("memory")} validated={error("memory") ? "error" : "default"} />
              {help(error("memory"), "A size with a unit, e.g. 512MiB or 2GiB.")}
            </FormGroup>
          </div>
          <div style={{ display: "flex", gap: 24 }}>
            <FormGroup label="Machine type" fieldId="vm-machine" labelHelp={moreAbout("machine type", MACHINE_HELP)} style={{ flex: 1 }}>
              <FormSelect id="vm-machine" value={state.machine} onChange={(_e, v) => set({ machine: v as WizardState["machine"] })}>
                <FormSelectOption value="q35" label="q35 (modern PC, PCI Express)" />
                <FormSelectOption value="pc" label="pc (i440FX, older guests)" />
              </FormSelect>
              {help(error("machine"))}
            </FormGroup>
            <FormGroup label="Firmware" fieldId="vm-firmware" labelHelp={moreAbout("firmware", FIRMWARE_HELP)} style={{ flex: 1 }}>
              <FormSelect id="vm-firmware" value={state.firmware} onChange={(_e, v) => set({ firmware: v as WizardState["firmware"] })}>
                <FormSelectOption value="bios" label="BIOS (SeaBIOS)" />
                <FormSelectOption value="uefi" label="UEFI (OVMF)" />
              </FormSelect>
              {help(error("firmware"))}
            </FormGroup>
          </div>
        </>
      )}
    </StepForm>
  );
}
