// The wizard's storage step: the VM's datastore (from the list), what it boots (a new empty disk,
// an ISO from the library, a disk or cloud image already in a datastore or uploaded from this
// computer, or a kernel), the new disk's size and its bus. Files are chosen with the storage
// pages' picker; the kernel's paths may also be typed.
import { FormGroup, FormSelect, FormSelectOption, Radio, TextInput } from "@patternfly/react-core";
import type { Datastore } from "@vmctl/api-types";
import { formatBytes } from "../../format";
import { FileButton } from "../shared/FileButton";
import { hint } from "../shared/form-help";
import { IsoSelect } from "../storage/IsoSelect";
import { BUS_HELP, moreAbout } from "./field-help";
import type { StepProps } from "./GeneralStep";
import { PathField } from "./PathField";
import { StepForm } from "./StepForm";
import { DISK_IMAGE, type Bus, type WizardState } from "./wizard-model";

export function StorageStep({ state, set, fields, datastores, defaultDatastore }: StepProps & { datastores: Datastore[] | undefined; defaultDatastore: string }) {
  const { error, touch } = fields;
  const help = (message: string | undefined, text?: React.ReactNode) => (message ? hint(message, true) : text ? hint(text) : null);
  const { boot, kernel } = state;
  const newDisk = boot === "disk" || boot === "iso" || boot === "kernel";
  const setKernel = (patch: Partial<WizardState["kernel"]>) => set({ kernel: { ...kernel, ...patch } });
  return (
    <StepForm>
      <FormGroup label="Datastore of the VM" fieldId="vm-datastore">
        <FormSelect id="vm-datastore" value={state.datastore} onChange={(_e, v) => set({ datastore: v })}>
          <FormSelectOption value="" label={`${defaultDatastore} (the host's default)`} />
          {(datastores ?? []).filter((d) => d.name !== defaultDatastore).map((d) => <FormSelectOption key={d.name} value={d.name} label={`${d.name} (${formatBytes(d.freeBytes)} free)`} />)}
        </FormSelect>
        {hint("The VM's folder and its new disks go here.")}
      </FormGroup>
      <FormGroup role="radiogroup" label="Boot from" fieldId="vm-boot" isStack>
        <Radio id="boot-disk" name="boot" label="A new empty disk" description="Install over the network, or insert an ISO later." isChecked={boot === "disk"} onChange={() => set({ boot: "disk" })} />
        <Radio id="boot-iso" name="boot" label="An ISO image from the ISO library" isChecked={boot === "iso"} onChange={() => set({ boot: "iso" })} />
        <Radio id="boot-image" name="boot" label="A disk or cloud image in a datastore" description="A prepared disk, or a cloud image (set its first boot on the next step)." isChecked={boot === "image"} onChange={() => set({ boot: "image" })} />
        <Radio id="boot-upload" name="boot" label="A disk or cloud image from this computer (uploaded)" isChecked={boot === "upload"} onChange={() => set({ boot: "upload" })} />
        <Radio id="boot-kernel" name="boot" label="A kernel (direct kernel boot)" isChecked={boot === "kernel"} onChange={() => set({ boot: "kernel" })} />
      </FormGroup>
      {boot === "iso" ? (
        <FormGroup label="ISO image" fieldId="vm-iso">
          <IsoSelect id="vm-iso" value={state.iso} onChange={(iso) => set({ iso })} />
          {help(error("cdroms"), "Without one the VM gets an empty CD drive; insert an ISO later on its Hardware tab.")}
        </FormGroup>
      ) : null}
      {boot === "image" ? (
        <>
          <FormGroup label="Disk image" isRequired fieldId="vm-image">
            <PathField id="vm-image" label="Disk image" what="a disk image" accept={DISK_IMAGE} datastore={state.image?.datastore ?? defaultDatastore} path={state.image?.path ?? ""}
              onPath={(path) => set({ image: path ? { datastore: state.image?.datastore ?? defaultDatastore, path } : null })} onPick={(image) => set({ image })} onBlur={touch("disks")} invalid={!!error("disks")}
              placeholder="e.g. images/debian-12-genericcloud-amd64.qcow2" />
            {help(error("disks"), state.image ? `In datastore ${state.image.datastore}: .qcow2, .img or .raw.` : "Browse the datastores for a .qcow2, .img or .raw file.")}
          </FormGroup>
          <FormGroup role="radiogroup" label="The image" fieldId="vm-image-use" isStack>
            <Radio id="image-copy" name="image-use" label="Copy it into the VM's folder" description="The image stays as it is, for the next VM; deleting this VM deletes its copy." isChecked={state.imageUse === "copy"} onChange={() => set({ imageUse: "copy" })} />
            <Radio id="image-in-place" name="image-use" label="Use the file itself as the VM's disk" description="Nothing is copied; the VM writes to that file." isChecked={state.imageUse === "in-place"} onChange={() => set({ imageUse: "in-place" })} />
          </FormGroup>
        </>
      ) : null}
      {boot === "upload" ? (
        <FormGroup label="Disk image file" isRequired fieldId="vm-upload">
          <div style={{ display: "flex", gap: 12, alignItems: "center" }}>
            <FileButton label={state.upload ? "Choose another" : "Choose a disk image"} inputLabel="Disk image to upload" accept=".qcow2,.img,.raw" variant="secondary" onFiles={([f]) => set({ upload: f ?? null })} />
            <span id="vm-upload">{state.upload ? `${state.upload.name} (${formatBytes(state.upload.size)})` : <span className="vmctl-muted">none chosen</span>}</span>
          </div>
          {help(error("disks"), "Uploaded into the VM's folder once the VM is made: .qcow2, or .img/.raw for a raw image.")}
        </FormGroup>
      ) : null}
      {boot === "kernel" ? (
        <>
          <FormGroup label="Datastore of the kernel" fieldId="vm-kds">
            <TextInput id="vm-kds" aria-label="Kernel datastore" list="vm-kds-list" value={kernel.datastore} onChange={(_e, v) => setKernel({ datastore: v })} onBlur={touch("boot.datastore")} validated={error("boot.datastore") ? "error" : "default"} />
            <datalist id="vm-kds-list">{(datastores ?? []).map((d) => <option key={d.name} value={d.name} />)}</datalist>
            {help(error("boot.datastore"))}
          </FormGroup>
          <FormGroup label="Kernel" isRequired fieldId="vm-kernel">
            <PathField id="vm-kernel" label="Kernel" what="the kernel image" accept={/./} datastore={kernel.datastore} path={kernel.kernel} onPath={(v) => setKernel({ kernel: v })}
              onPick={(f) => setKernel({ datastore: f.datastore, kernel: f.path })} onBlur={touch("boot.kernel")} invalid={!!error("boot.kernel")} placeholder="e.g. vmlinuz" />
            {help(error("boot.kernel"))}
          </FormGroup>
          <FormGroup label="Initrd" fieldId="vm-initrd">
            <PathField id="vm-initrd" label="Initrd" what="the initramfs" accept={/./} datastore={kernel.datastore} path={kernel.initrd} onPath={(v) => setKernel({ initrd: v })}
              onPick={(f) => setKernel({ datastore: f.datastore, initrd: f.path })} invalid={!!error("boot.initrd")} placeholder="optional, in the same datastore" />
            {help(error("boot.initrd"))}
          </FormGroup>
          <FormGroup label="Command line" fieldId="vm-cmdline">
            <TextInput id="vm-cmdline" aria-label="Kernel command line" value={kernel.cmdline} onChange={(_e, v) => setKernel({ cmdline: v })} />
            {help(error("boot.cmdline"))}
          </FormGroup>
        </>
      ) : null}
      {newDisk ? (
        <FormGroup label="Disk size (empty for no disk)" fieldId="vm-disk">
          <TextInput id="vm-disk" aria-label="Disk size" value={state.disk} onChange={(_e, v) => set({ disk: v })} onBlur={touch("disks")} validated={error("disks") ? "error" : "default"} />
          {help(error("disks"), "A new qcow2 image: it takes space only as the guest writes.")}
        </FormGroup>
      ) : null}
      {newDisk && !state.disk.trim() ? null : (
        <FormGroup label="Disk bus" fieldId="vm-bus" labelHelp={moreAbout("disk bus", BUS_HELP)}>
          <FormSelect id="vm-bus" value={state.bus} onChange={(_e, v) => set({ bus: v as Bus })}>
            <FormSelectOption value="virtio" label="virtio (fastest; Linux, or Windows with drivers)" />
            <FormSelectOption value="sata" label="sata (any guest, no drivers)" />
            <FormSelectOption value="scsi" label="scsi (virtio-scsi)" />
            <FormSelectOption value="ide" label="ide (very old guests)" />
          </FormSelect>
        </FormGroup>
      )}
    </StepForm>
  );
}
