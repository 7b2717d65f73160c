import { describe, it, expect } from "vitest";
import { validateDefinition } from "@vmctl/definition";
import { buildQemuArgv, type ArgvContext } from "./build-argv.js";

const ctx: ArgvContext = { runDir: "/run/vm", accel: "tcg", resolvePath: (ds, p) => `/ds/${ds ?? "local"}/${p}`, startPaused: true };

/** The value that follows each occurrence of a flag. */
const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));

describe("buildQemuArgv", () => {
  it("builds a q35 VM with kernel boot, virtio disk, NIC, serial, QMP, VNC and pvpanic", () => {
    const def = validateDefinition({
      name: "web01", cpus: 2, memory: "1GiB",
      boot: { kernel: "images/vmlinuz", initrd: "images/initrd.img", cmdline: "console=ttyS0" },
      disks: { disk0: { file: "web01/disk0.qcow2", size: "1GiB" } },
      nics: { net0: { mac: "52:54:00:12:34:56" } },
    });
    const argv = buildQemuArgv(def, ctx);
    expect(values(argv, "-machine")).toEqual(["q35"]);
    expect(values(argv, "-accel")).toEqual(["tcg"]);
    expect(values(argv, "-smp")).toEqual(["2"]);
    expect(values(argv, "-m")).toEqual(["1024M"]);
    expect(values(argv, "-kernel")).toEqual(["/ds/local/images/vmlinuz"]);
    expect(values(argv, "-initrd")).toEqual(["/ds/local/images/initrd.img"]);
    expect(values(argv, "-append")).toEqual(["console=ttyS0"]);
    expect(values(argv, "-pidfile")).toEqual(["/run/vm/qemu.pid"]);
    expect(values(argv, "-blockdev")).toEqual([
      "driver=file,filename=/ds/local/web01/disk0.qcow2,node-name=file-disk0,cache.direct=off",
      "driver=qcow2,file=file-disk0,node-name=drive-disk0",
    ]);
    expect(values(argv, "-device")).toEqual([
      "pvpanic",
      "virtio-balloon-pci,id=balloon0",
      // Each virtio disk and NIC on a root port of its own (so it can be unplugged), then spare ports for hot-plug.
      "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=0x10",
      "virtio-blk-pci,bus=rp0,drive=drive-disk0,id=disk0",
      "pcie-root-port,id=rp1,bus=pcie.0,chassis=2,addr=0x11",
      "virtio-net-pci,bus=rp1,netdev=net-net0,mac=52:54:00:12:34:56,id=net0",
      "pcie-root-port,id=rp2,bus=pcie.0,chassis=3,addr=0x12",
      "pcie-root-port,id=rp3,bus=pcie.0,chassis=4,addr=0x13",
      "pcie-root-port,id=rp4,bus=pcie.0,chassis=5,addr=0x14",
      "pcie-root-port,id=rp5,bus=pcie.0,chassis=6,addr=0x15",
      "virtio-serial-pci,id=vser0",
      "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0,id=qga0port",
      "VGA",
    ]);
    expect(values(argv, "-chardev")).toEqual([
      "socket,id=qmp,path=/run/vm/qmp.sock,server=on,wait=off",
      "socket,id=serial0,path=/run/vm/serial.sock,server=on,wait=off,logfile=/run/vm/serial.log,logappend=on",
      // The guest agent's channel: a unix socket in the run dir.
      "socket,id=qga0,path=/run/vm/qga.sock,server=on,wait=off",
    ]);
    expect(values(argv, "-vnc")).toEqual(["unix:/run/vm/vnc.sock"]);
    expect(argv).toContain("-S");
    // The seccomp sandbox is always on; -daemonize (a fork) cannot pass it, so it is never there.
    expect(values(argv, "-sandbox")).toEqual(["on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]);
    expect(argv).not.toContain("-daemonize");
    expect(argv).toContain("-nodefaults");
  });

  it("gives boot indexes in order and puts CD-ROMs on SATA ports", () => {
    const def = validateDefinition({
      name: "a", boot: { order: ["cdrom0", "disk0"] },
      disks: { disk0: { file: "a/d.qcow2" } }, cdroms: { cdrom0: { iso: "iso/x.iso" }, cdrom1: {} },
    });
    const devices = values(buildQemuArgv(def, { ...ctx, accel: "kvm" }), "-device");
    expect(devices).toContain("virtio-blk-pci,bus=rp0,drive=drive-disk0,id=disk0,bootindex=2");
    expect(devices).toContain("ide-cd,bus=ide.0,drive=drive-cdrom0,id=cdrom0,bootindex=1");
    expect(devices).toContain("ide-cd,bus=ide.1,id=cdrom1");
  });

  it("gives a NIC named in boot.order its boot index (network boot), and none to the rest", () => {
    const def = validateDefinition({
      name: "a", boot: { order: ["net0", "disk0"] },
      disks: { disk0: { file: "a/d.qcow2" } }, nics: { net0: { mac: "52:54:00:00:00:01" }, net1: { mac: "52:54:00:00:00:02" } },
    });
    const devices = values(buildQemuArgv(def, { ...ctx, accel: "kvm" }), "-device");
    expect(devices.find((d) => d.includes("id=net0"))).toMatch(/,bootindex=1$/);
    expect(devices.find((d) => d.includes("id=disk0"))).toMatch(/,bootindex=2$/);
    expect(devices.find((d) => d.includes("id=net1"))).not.toContain("bootindex");
    expect(() => validateDefinition({ name: "a", boot: { order: ["net9"] } })).toThrow(/"net9" is neither a disk, a cdrom nor a NIC/);
  });

  it("puts a scsi CD-ROM on a virtio-scsi controller shared with scsi disks, and starts from a snapshot", () => {
    const def = validateDefinition({
      name: "a", disks: { d: { file: "d.qcow2", bus: "scsi" } }, cdroms: { cd: { bus: "scsi", iso: "iso/x.iso" }, cd1: { bus: "scsi" } },
    });
    const argv = buildQemuArgv(def, { ...ctx, loadSnapshot: "before-upgrade" });
    const devices = values(argv, "-device");
    expect(devices.filter((d) => d.startsWith("virtio-scsi-pci"))).toEqual(["virtio-scsi-pci,id=scsi0"]);
    expect(devices).toContain("scsi-cd,bus=scsi0.0,drive=drive-cd,id=cd,bootindex=2");
    expect(devices).toContain("scsi-cd,bus=scsi0.0,id=cd1,bootindex=3");
    expect(values(argv, "-loadvm")).toEqual(["before-upgrade"]);
  });

  it("refuses more virtio disks than q35 has root ports for", () => {
    const disks = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`d${i}`, { file: `d${i}.qcow2` }]));
    expect(() => buildQemuArgv(validateDefinition({ name: "a", disks }), ctx)).toThrow(/room for 12 virtio disks/);
  });

  it("uses host CPU under KVM, IDE slots on pc, virtio-mmio on microvm", () => {
    const pc = validateDefinition({ name: "a", machine: "pc", disks: { a: { file: "a", bus: "ide" }, b: { file: "b", bus: "ide" }, c: { file: "c", bus: "ide" } } });
    const argv = buildQemuArgv(pc, { ...ctx, accel: "kvm" });
    expect(values(argv, "-cpu")).toEqual(["host"]);
    expect(values(argv, "-device").filter((d) => d.startsWith("ide-hd"))).toEqual([
      "ide-hd,bus=ide.0,unit=0,drive=drive-a,id=a,bootindex=1",
      "ide-hd,bus=ide.0,unit=1,drive=drive-b,id=b,bootindex=2",
      "ide-hd,bus=ide.1,unit=0,drive=drive-c,id=c,bootindex=3",
    ]);
    const micro = validateDefinition({ name: "m", machine: "microvm", boot: { kernel: "k" }, disks: { d: { file: "d.raw" } }, nics: { n: { mac: "52:54:00:00:00:01" } } });
    const microArgv = buildQemuArgv(micro, ctx);
    expect(values(microArgv, "-machine")).toEqual(["microvm,rtc=on"]);
    expect(values(microArgv, "-device")).toEqual(["virtio-balloon-device,id=balloon0", "virtio-blk-device,drive=drive-d,id=d", "virtio-net-device,netdev=net-n,mac=52:54:00:00:00:01,id=n"]);
    expect(values(microArgv, "-display")).toEqual(["none"]);
    expect(values(microArgv, "-sandbox")).toHaveLength(1);
  });

  it("refuses what the machine cannot do, and an unallocated MAC", () => {
    const micro = validateDefinition({ name: "m", machine: "microvm", boot: { kernel: "k" }, cdroms: { cd: {} } });
    expect(() => buildQemuArgv(micro, ctx)).toThrow(/microvm.*no SATA\/IDE bus/);
    expect(() => buildQemuArgv(validateDefinition({ name: "a", nics: { n: {} } }), ctx)).toThrow(/still "auto"/);
    expect(() => buildQemuArgv(validateDefinition({ name: "a", firmware: "uefi" }), ctx)).toThrow(/ovmf/);
  });

  it("gives a NIC the tap vmctld made for it, opened by name with no helper scripts, and user-mode otherwise", () => {
    const def = validateDefinition({ name: "a", nics: { lan: { mac: "52:54:00:00:00:01" }, out: { mac: "52:54:00:00:00:02" } } });
    const argv = buildQemuArgv(def, { ...ctx, nics: { lan: { kind: "tap", ifname: "vm12345t0abcdef" } } });
    expect(values(argv, "-netdev")).toEqual(["tap,id=net-lan,ifname=vm12345t0abcdef,script=no,downscript=no", "user,id=net-out"]);
  });

  it("puts q35 NICs on root ports beside the virtio disks, at most 12 of them together, with 4 spare ports after", () => {
    const disks = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`d${i}`, { file: `d${i}.qcow2` }]));
    const fits = buildQemuArgv(validateDefinition({ name: "a", disks, nics: { n0: { mac: "52:54:00:00:00:01" } } }), ctx);
    expect(values(fits, "-device").filter((d) => d.startsWith("pcie-root-port"))).toHaveLength(16);
    expect(values(fits, "-device")).toContain("virtio-net-pci,bus=rp11,netdev=net-n0,mac=52:54:00:00:00:01,id=n0");
    const over = validateDefinition({ name: "a", disks, nics: { n0: { mac: "52:54:00:00:00:01" }, n1: { mac: "52:54:00:00:00:02" } } });
    expect(() => buildQemuArgv(over, ctx)).toThrow(/room for 12 virtio disks and NICs together; too many NICs/);
    // pc: NICs on pci.0, which hot-plugs through ACPI.
    const pc = buildQemuArgv(validateDefinition({ name: "a", machine: "pc", nics: { n0: { mac: "52:54:00:00:00:01" } } }), ctx);
    expect(values(pc, "-device")).toContain("virtio-net-pci,netdev=net-n0,mac=52:54:00:00:00:01,id=n0");
  });

  it("attaches the cloud-init seed from the run dir read-only on virtio-scsi, only with [cloud_init]", () => {
    const plain = buildQemuArgv(validateDefinition({ name: "a", disks: { d: { file: "d.qcow2" } } }), ctx);
    expect(plain.join(" ")).not.toMatch(/CIDATA|cidata|scsi/);
    const def = validateDefinition({ name: "a", disks: { d: { file: "d.qcow2", bus: "scsi" } }, cloud_init: { hostname: "web" } });
    const argv = buildQemuArgv(def, ctx);
    expect(values(argv, "-blockdev")).toContain("driver=file,filename=/run/vm/cidata.iso,node-name=file-CIDATA,read-only=on");
    expect(values(argv, "-blockdev")).toContain("driver=raw,file=file-CIDATA,node-name=drive-CIDATA,read-only=on");
    const devices = values(argv, "-device");
    expect(devices.filter((d) => d.startsWith("virtio-scsi-pci"))).toEqual(["virtio-scsi-pci,id=scsi0"]);
    expect(devices).toContain("scsi-cd,bus=scsi0.0,drive=drive-CIDATA,id=CIDATA");
  });

  it("doubles commas in paths so QEMU's option parser keeps them", () => {
    const def = validateDefinition({ name: "a", disks: { d: { file: "we,ird.qcow2" } } });
    expect(values(buildQemuArgv(def, ctx), "-blockdev")[0]).toContain("filename=/ds/local/we,,ird.qcow2,");
  });
});
