import { describe, expect, it } from "vitest";
import { parseLibvirtDomain } from "./libvirt.js";
import { OvfError } from "./errors.js";

// Trimmed from virsh dumpxml of a q35 UEFI guest made by virt-install.
const DOMAIN = `<domain type='kvm' id='3'>
  <name>debian12</name>
  <uuid>4f0b6a5e-1d1a-4b7f-9d59-2d8a3c0b1e11</uuid>
  <description>Build box</description>
  <memory unit='KiB'>2097152</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/debian12_VARS.fd</nvram>
    <kernel>/var/lib/libvirt/boot/vmlinuz</kernel>
    <initrd>/var/lib/libvirt/boot/../boot/initrd.img</initrd>
    <cmdline>console=ttyS0 root=/dev/vda1</cmdline>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/debian12.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/vg0/data'/>
      <target dev='sda' bus='scsi'/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/isos/debian-12.iso'/>
      <target dev='sdb' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:AA:BB:CC'/>
      <source network='default'/>
      <model type='virtio'/>
      <alias name='net0'/>
    </interface>
    <interface type='user'>
      <model type='e1000e'/>
    </interface>
    <interface type='user'/>
  </devices>
</domain>`;

describe("parseLibvirtDomain", () => {
  it("reads a q35 UEFI domain with kernel boot, disks, CD drives and NICs", () => {
    expect(parseLibvirtDomain(DOMAIN)).toEqual({
      source: "libvirt",
      name: "debian12",
      description: "Build box",
      cpus: 2,
      memoryBytes: 2 * 2 ** 30,
      firmware: "uefi",
      machine: "q35",
      boot: { kernel: "/var/lib/libvirt/boot/vmlinuz", initrd: "/var/lib/libvirt/boot/initrd.img", cmdline: "console=ttyS0 root=/dev/vda1" },
      disks: [
        { id: "vda", fileHref: "/var/lib/libvirt/images/debian12.qcow2", capacityBytes: 0, format: "qcow2", bus: "virtio" },
        { id: "sda", fileHref: "/dev/vg0/data", capacityBytes: 0, format: "raw", bus: "scsi", readonly: true },
      ],
      cdroms: [{ id: "sdb", bus: "sata", fileHref: "/isos/debian-12.iso" }, { id: "hdc", bus: "ide" }],
      nics: [{ id: "net0", model: "virtio", mac: "52:54:00:aa:bb:cc" }, { id: "net1", model: "e1000" }, { id: "net2", model: "rtl8139" }],
      warnings: [],
    });
  });

  it("reads memory units and a BIOS i440fx machine", () => {
    const vm = parseLibvirtDomain(`<domain type="qemu"><name>old</name><memory unit="G">1</memory><os><type machine="pc-i440fx-2.11">hvm</type></os></domain>`);
    expect(vm).toMatchObject({ memoryBytes: 2 ** 30, firmware: "bios", machine: "pc", cpus: 1, disks: [], nics: [] });
    expect(parseLibvirtDomain(`<domain type="kvm"><name>x</name><memory unit="MB">1000</memory></domain>`).memoryBytes).toBe(1e9);
  });

  const broken: Array<[string, string, RegExp]> = [
    ["a Xen domain", `<domain type="xen"><name>x</name><memory>1</memory></domain>`, /type="xen"> is not a QEMU\/KVM domain/],
    ["a missing name", `<domain type="kvm"><memory>1</memory></domain>`, /<name> is missing/],
    ["a bad memory unit", `<domain type="kvm"><name>x</name><memory unit="parsecs">1</memory></domain>`, /<memory unit="parsecs">/],
    ["a relative disk path", `<domain type="kvm"><name>x</name><memory>1</memory><devices><disk type="file" device="disk"><source file="images/x.qcow2"/><target dev="vda" bus="virtio"/></disk></devices></domain>`, /<disk> "vda" <source file> "images\/x.qcow2" is not an absolute path/],
    ["a network disk", `<domain type="kvm"><name>x</name><memory>1</memory><devices><disk type="network" device="disk"><source protocol="rbd" name="pool/img"/><target dev="vda" bus="virtio"/></disk></devices></domain>`, /type "network"/],
    ["a DOCTYPE", `<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/shadow">]><domain type="kvm"><name>&x;</name></domain>`, /DOCTYPE declaration/],
  ];
  for (const [what, xml, message] of broken) {
    it(`refuses ${what}`, () => {
      expect(() => parseLibvirtDomain(xml)).toThrow(OvfError);
      expect(() => parseLibvirtDomain(xml)).toThrow(message);
    });
  }
});
