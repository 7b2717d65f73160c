// Definition → QEMU argv, as a pure function: everything QEMU is told comes from here, so the
// tests of this file are the specification of our QEMU command lines.
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import { runPaths } from "./run-paths.js";
import { SANDBOX_OPTION } from "./qemu-sandbox.js";

export type Accel = "kvm" | "tcg";

export interface ArgvContext {
  runDir: string;
  accel: Accel;
  /** Resolves a datastore-relative path to an absolute one, refusing escapes (the daemon knows the datastores). */
  resolvePath: (datastore: string | undefined, path: string) => string;
  /** UEFI firmware: read-only code and this VM's writable variable store. */
  uefi?: { code: string; vars: string };
  /** Start with the vCPUs stopped (the daemon connects the console first, then sends "cont"). */
  startPaused?: boolean;
  /** Wait for a saved state (QMP migrate-incoming) instead of booting. */
  incoming?: boolean;
  /** Start from this internal snapshot (memory and disks), as -loadvm does. */
  loadSnapshot?: string;
  /** How each NIC reaches its network (the daemon made the taps); a NIC not named here gets user-mode networking. */
  nics?: Record<string, NicBackend>;
}

/** user: QEMU's user-mode stack; tap: a tap vmctld made for the NIC, opened by name (no helper scripts). */
export type NicBackend = { kind: "user" } | { kind: "tap"; ifname: string };

/** Empty PCIe root ports a q35 VM gets for disks hot-plugged while it runs. */
export const HOTPLUG_PORTS = 4;
/** q35 puts each virtio disk and NIC on its own root port (so it can be unplugged); slots 0x10.. hold them. */
const MAX_Q35_PORTS = 16;
/** How many virtio disks and NICs together a q35 VM can start with (the rest of its ports are spare). */
export const Q35_DEVICE_PORTS = MAX_Q35_PORTS - HOTPLUG_PORTS;

/** The root port of the n-th port of a q35 VM (virtio disks first, then the spare ones). */
function rootPortId(index: number): string {
  return `rp${index}`;
}

const MIB = 1024 * 1024;

/** QEMU's option syntax: commas inside a value are doubled. */
export function escapeOption(value: string): string {
  return value.replace(/,/g, ",,");
}

interface BusAllocator { next(kind: "disk" | "cdrom"): string }

function busAllocator(machine: VmDefinition["machine"]): BusAllocator {
  let slot = 0;
  return {
    next(kind) {
      if (machine === "microvm") throw new VmctlError("invalid_definition", `machine "microvm" has no SATA/IDE bus for a ${kind}; use bus = "virtio" or machine = "q35"`);
      const current = slot++;
      if (machine === "q35") {
        if (current > 5) throw new VmctlError("invalid_definition", "q35 has 6 SATA ports; too many SATA disks and CD-ROMs");
        return `bus=ide.${current}`;
      }
      if (current > 3) throw new VmctlError("invalid_definition", "pc has 4 IDE slots; too many IDE disks and CD-ROMs");
      return `bus=ide.${current >> 1},unit=${current & 1}`;
    },
  };
}

function pcieRootPort(index: number): string {
  return `pcie-root-port,id=${rootPortId(index)},bus=pcie.0,chassis=${index + 1},addr=0x${(0x10 + index).toString(16)}`;
}

export function buildQemuArgv(def: VmDefinition, ctx: ArgvContext): string[] {
  const paths = runPaths(ctx.runDir);
  const microvm = def.machine === "microvm";
  const args: string[] = [
    "-name", `guest=${escapeOption(def.name)},debug-threads=on`,
    "-no-user-config", "-nodefaults",
    // Always: QEMU's seccomp sandbox (no fork/exec, no privilege changes). It also rules out
    // -daemonize (a fork), so vmctld starts QEMU in a session of its own instead.
    "-sandbox", SANDBOX_OPTION,
    "-machine", microvm ? "microvm,rtc=on" : def.machine,
    "-accel", ctx.accel,
    "-cpu", ctx.accel === "kvm" ? "host" : "qemu64",
    "-smp", String(def.cpus),
    "-m", `${Math.ceil(def.memoryBytes / MIB)}M`,
    "-rtc", "base=utc",
    "-msg", "timestamp=on",
    "-pidfile", paths.pidfile,
    "-chardev", `socket,id=qmp,path=${escapeOption(paths.qmp)},server=on,wait=off`,
    "-mon", "chardev=qmp,mode=control",
    // A panicking guest ends its QEMU so that on_crash decides what happens next.
    "-action", "panic=shutdown",
  ];
  if (!microvm) args.push("-device", "pvpanic");
  // The balloon is there for its statistics: the guest's own view of its memory.
  args.push("-device", microvm ? "virtio-balloon-device,id=balloon0" : "virtio-balloon-pci,id=balloon0");
  if (def.firmware === "uefi") {
    if (!ctx.uefi) throw new VmctlError("invalid_definition", 'firmware = "uefi" needs OVMF: install the "ovmf" package, or use firmware = "bios"');
    args.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOption(ctx.uefi.code)}`);
    args.push("-drive", `if=pflash,format=raw,unit=1,file=${escapeOption(ctx.uefi.vars)}`);
  }
  if (def.boot.kernel) {
    args.push("-kernel", ctx.resolvePath(def.boot.datastore, def.boot.kernel));
    if (def.boot.initrd) args.push("-initrd", ctx.resolvePath(def.boot.datastore, def.boot.initrd));
    if (def.boot.cmdline) args.push("-append", def.boot.cmdline);
  }

  const bootIndex = (id: string) => {
    const index = def.boot.order.indexOf(id);
    return index >= 0 && !def.boot.kernel ? `,bootindex=${index + 1}` : "";
  };
  const buses = busAllocator(def.machine);
  let scsiController = false;
  const scsiBus = () => {
    if (!scsiController) {
      args.push("-device", microvm ? "virtio-scsi-device,id=scsi0" : "virtio-scsi-pci,id=scsi0");
      scsiController = true;
    }
    return "bus=scsi0.0";
  };
  // On q35 a device on the root complex cannot be unplugged: every virtio disk and every NIC gets a
  // root port of its own, and a few spare ones wait for disks and NICs hot-plugged later.
  let ports = 0;
  const rootPort = (what = `virtio disks; put more on bus = "scsi"`) => {
    if (def.machine !== "q35") return "";
    if (ports >= MAX_Q35_PORTS - HOTPLUG_PORTS) throw new VmctlError("invalid_definition", `q35 has room for ${MAX_Q35_PORTS - HOTPLUG_PORTS} virtio disks and NICs together; too many ${what}`);
    const index = ports++;
    args.push("-device", pcieRootPort(index));
    return `,bus=${rootPortId(index)}`;
  };
  for (const [id, disk] of Object.entries(def.disks)) {
    const file = ctx.resolvePath(disk.datastore, disk.file);
    const ro = disk.readonly ? ",read-only=on" : "";
    args.push("-blockdev", `driver=file,filename=${escapeOption(file)},node-name=file-${id},cache.direct=off${ro}`);
    args.push("-blockdev", `driver=${disk.format},file=file-${id},node-name=drive-${id}${ro}`);
    switch (disk.bus) {
      case "virtio":
        args.push("-device", `${microvm ? "virtio-blk-device" : "virtio-blk-pci"}${rootPort()},drive=drive-${id},id=${id}${bootIndex(id)}`);
        break;
      case "scsi":
        args.push("-device", `scsi-hd,${scsiBus()},drive=drive-${id},id=${id}${bootIndex(id)}`);
        break;
      case "sata":
      case "ide":
        args.push("-device", `ide-hd,${buses.next("disk")},drive=drive-${id},id=${id}${bootIndex(id)}`);
        break;
    }
  }
  for (const [id, cdrom] of Object.entries(def.cdroms)) {
    const device = cdrom.bus === "scsi" ? `scsi-cd,${scsiBus()}` : `ide-cd,${buses.next("cdrom")}`;
    if (cdrom.iso) {
      args.push("-blockdev", `driver=file,filename=${escapeOption(ctx.resolvePath(cdrom.datastore, cdrom.iso))},node-name=file-${id},read-only=on`);
      args.push("-blockdev", `driver=raw,file=file-${id},node-name=drive-${id},read-only=on`);
      args.push("-device", `${device},drive=drive-${id},id=${id}${bootIndex(id)}`);
    } else {
      args.push("-device", `${device},id=${id}${bootIndex(id)}`);
    }
  }
  if (def.cloud_init) {
    // The NoCloud seed vmctld writes at start, read-only: a SCSI CD-ROM, as cloud kernels (Debian's
    // among them) have no AHCI but load virtio-scsi. Its id cannot be a definition's (upper case).
    args.push("-blockdev", `driver=file,filename=${escapeOption(paths.cloudInitSeed)},node-name=file-CIDATA,read-only=on`);
    args.push("-blockdev", "driver=raw,file=file-CIDATA,node-name=drive-CIDATA,read-only=on");
    args.push("-device", `scsi-cd,${scsiBus()},drive=drive-CIDATA,id=CIDATA`);
  }
  for (const [id, nic] of Object.entries(def.nics)) {
    if (nic.mac === "auto") throw new VmctlError("internal", `nics.${id}.mac is still "auto": a MAC must be allocated before start`);
    const model = microvm ? "virtio-net-device" : nic.model === "virtio" ? "virtio-net-pci" : nic.model;
    const backend = ctx.nics?.[id] ?? { kind: "user" };
    args.push("-netdev", backend.kind === "tap" ? `tap,id=net-${id},ifname=${backend.ifname},script=no,downscript=no` : `user,id=net-${id}`);
    args.push("-device", `${model}${rootPort("NICs")},netdev=net-${id},mac=${nic.mac},id=${id}${bootIndex(id)}`);
  }
  if (def.machine === "q35") {
    const spare = ports + HOTPLUG_PORTS;
    while (ports < spare) args.push("-device", pcieRootPort(ports++));
  }
  if (def.console.serial) {
    args.push("-chardev", `socket,id=serial0,path=${escapeOption(paths.serial)},server=on,wait=off,logfile=${escapeOption(paths.serialLog)},logappend=on`);
    args.push("-serial", "chardev:serial0");
  }
  if (!microvm) {
    // The QEMU guest agent's channel, on every VM: vmctld connects when it wants (wait=off); an
    // absent agent is "agent: not connected" (the guest never opened its end).
    args.push("-chardev", `socket,id=qga0,path=${escapeOption(paths.qga)},server=on,wait=off`);
    args.push("-device", "virtio-serial-pci,id=vser0", "-device", "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0,id=qga0port");
  }
  if (def.console.vnc && !microvm) {
    args.push("-device", "VGA", "-vnc", `unix:${paths.vnc}`);
  } else {
    args.push("-display", "none");
  }
  if (ctx.startPaused) args.push("-S");
  if (ctx.loadSnapshot) args.push("-loadvm", ctx.loadSnapshot);
  if (ctx.incoming) args.push("-incoming", "defer");
  return args;
}
