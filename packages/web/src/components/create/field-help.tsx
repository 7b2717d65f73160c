// Help on the wizard's choices that need explaining: a "More about …" button beside the field's
// label that opens a popover in words (PatternFly's FormGroup labelHelp).
import type { ReactNode } from "react";
import { FormGroupLabelHelp, Popover } from "@patternfly/react-core";

/** The label help of a FormGroup: a button named "More about <topic>" and its popover. */
export const moreAbout = (topic: string, body: ReactNode) => (
  <Popover headerContent={topic.charAt(0).toUpperCase() + topic.slice(1)} bodyContent={body} aria-label={`About ${topic}`}>
    <FormGroupLabelHelp aria-label={`More about ${topic}`} />
  </Popover>
);

export const MACHINE_HELP = (
  <>
    <p><b>q35</b> is a modern PC (PCI Express, AHCI for SATA): the choice for any current guest.</p>
    <p><b>pc</b> (i440FX) is the older PC, for guests from before about 2010 or images made for it; its CD drives are IDE.</p>
  </>
);

export const FIRMWARE_HELP = (
  <>
    <p><b>BIOS</b> (SeaBIOS) boots nearly every image, old and new.</p>
    <p><b>UEFI</b> (OVMF) is what Windows 11 and Secure Boot need and what many new installers prefer; an image installed under BIOS may not boot under UEFI, and back.</p>
  </>
);

export const BUS_HELP = (
  <>
    <p><b>virtio</b> is the fastest and can be added to a running VM; Linux has its driver, Windows needs the virtio drivers.</p>
    <p><b>sata</b> works with any guest without extra drivers (slower). <b>scsi</b> (virtio-scsi) suits many disks and TRIM. <b>ide</b> is for very old guests.</p>
  </>
);

export const NIC_MODEL_HELP = (
  <>
    <p><b>virtio</b> is the fastest; Linux has its driver, Windows needs the virtio drivers.</p>
    <p><b>e1000</b> (Intel) works in nearly every guest without drivers; <b>rtl8139</b> (Realtek) is for very old ones.</p>
  </>
);
