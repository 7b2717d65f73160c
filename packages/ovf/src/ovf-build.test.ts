import { describe, expect, it } from "vitest";
import { parseDefinitionToml } from "@vmctl/definition";
import { buildOvf, type ExportedDisk } from "./ovf-build.js";
import { parseOvf } from "./ovf-parse.js";
import { NS } from "./ovf-namespaces.js";

const TOML = `# web front-end & friends <tested>
name = "web01"
description = "Front end \\"A\\" & <B>"
cpus = 2
memory = "1536MiB"
firmware = "uefi"

[boot]
kernel = "kernels/vmlinuz"
initrd = "kernels/initrd.img"
cmdline = "console=ttyS0 root=/dev/vda1"

[disks.root]
file = "web01/root.qcow2"
size = "20GiB"
bus = "virtio"

[disks.data]
file = "web01/data.raw"
format = "raw"
bus = "sata"

[cdroms.install]
iso = "isos/debian.iso"

[nics.net0]
model = "virtio"
mac = "52:54:00:12:34:56"

[nics.net1]
model = "rtl8139"

[policy]
autostart = true
on_crash = "stop"
stop_timeout = 90
`;

const DISKS: ExportedDisk[] = [
  { id: "data", href: "web01-data.vmdk", fileSizeBytes: 4096, capacityBytes: 1536 * 2 ** 20 + 512 },
  { id: "root", href: "web01-root.vmdk", fileSizeBytes: 123456, capacityBytes: 20 * 2 ** 30, populatedSizeBytes: 999 },
];

describe("buildOvf", () => {
  const definition = parseDefinitionToml(TOML);
  const xml = buildOvf({ definition, disks: DISKS, definitionToml: TOML });

  it("writes what parseOvf reads back", () => {
    const vm = parseOvf(xml);
    expect(vm).toEqual({
      source: "ovf",
      name: "web01",
      description: "Front end \"A\" & <B>",
      cpus: 2,
      memoryBytes: 1536 * 2 ** 20,
      firmware: "uefi",
      // Without vmctl's section the hardware says: virtio disks on SCSI, rtl8139 as e1000.
      disks: [
        { id: "root", fileHref: "web01-root.vmdk", fileSizeBytes: 123456, capacityBytes: 20 * 2 ** 30, format: "vmdk-stream", bus: "scsi" },
        { id: "data", fileHref: "web01-data.vmdk", fileSizeBytes: 4096, capacityBytes: 1536 * 2 ** 20 + 512, format: "vmdk-stream", bus: "sata" },
      ],
      // CD drives keep their bus; definitions from before cdrom buses put them on IDE.
      cdroms: [{ id: "install", bus: (definition.cdroms.install as { bus?: string }).bus ?? "ide" }],
      nics: [{ id: "net0", model: "virtio", mac: "52:54:00:12:34:56" }, { id: "net1", model: "e1000" }],
      vmctlToml: TOML,
      warnings: [],
    });
  });

  it("keeps the definition byte for byte, so kernel boot and policy survive", () => {
    const back = parseDefinitionToml(parseOvf(xml).vmctlToml!);
    expect(back).toEqual(definition);
    expect(back.boot.kernel).toBe("kernels/vmlinuz");
    expect(back.policy).toEqual({ autostart: true, autostart_order: 0, autostart_delay: 0, on_crash: "stop", stop_timeout: 90, ha: false, host_tags: [] });
  });

  it("looks like a VMware descriptor", () => {
    expect(xml).toContain(`xmlns:vmctl="${NS.vmctl}"`);
    expect(xml).toContain('<vmctl:Definition ovf:required="false">');
    expect(xml).toContain('<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>');
    expect(xml).toContain('ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"');
    expect(xml).toContain('<Disk ovf:capacity="20" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="root"');
    expect(xml).toContain("<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>");
    expect(xml).toContain("<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>");
    // rasd elements in the schema's alphabetical order
    const item = /<Item>([^]*?)<\/Item>/.exec(xml)![1]!;
    const names = [...item.matchAll(/<rasd:(\w+)>/g)].map((m) => m[1]!);
    expect(names).toEqual([...names].sort());
  });

  it("writes BIOS VMs without the firmware key and without the section when no TOML is given", () => {
    const bios = buildOvf({ definition: { ...definition, firmware: "bios", description: "" }, disks: DISKS });
    expect(bios).not.toContain("firmware");
    expect(bios).not.toContain("vmctl:Definition");
    expect(bios).not.toContain("AnnotationSection");
    expect(parseOvf(bios).firmware).toBe("bios");
  });

  it("refuses caller mistakes with RangeError", () => {
    expect(() => buildOvf({ definition, disks: DISKS.slice(1) })).toThrow(/disk "data" of VM "web01" has no exported file/);
    expect(() => buildOvf({ definition, disks: [...DISKS, { ...DISKS[0]!, id: "other" }] })).toThrow(RangeError);
    expect(() => buildOvf({ definition, disks: [{ ...DISKS[0]!, href: "../x.vmdk" }, DISKS[1]!] })).toThrow(/plain file name/);
  });

  it("spreads many SCSI disks over several controllers and keeps unit 7 free", () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`d${i}`, { file: `d${i}.qcow2`, bus: "scsi" as const, format: "qcow2" as const, readonly: false }]));
    const vm = { ...definition, disks: many, cdroms: {} };
    const out = buildOvf({ definition: vm, disks: Object.keys(many).map((id) => ({ id, href: `${id}.vmdk`, fileSizeBytes: 1, capacityBytes: 2 ** 30 })) });
    expect(out.match(/<rasd:ResourceType>6<\/rasd:ResourceType>/g)).toHaveLength(2);
    expect(out).not.toMatch(/<rasd:AddressOnParent>7<\/rasd:AddressOnParent>\s*<rasd:ElementName>d/);
    expect(parseOvf(out).disks).toHaveLength(20);
  });
});
