// Where a running VM's sockets and files live: $VMCTL_HOME/run/<vm>/, and io/ in it, the one
// folder where QEMU may still create files once it runs (screenshots, the socket of a state load).
import { join } from "node:path";

export interface RunPaths {
  dir: string;
  qmp: string;
  serial: string;
  /** The guest agent's channel (virtio-serial port org.qemu.guest_agent.0); not on microvm. */
  qga: string;
  serialLog: string;
  vnc: string;
  pidfile: string;
  log: string;
  scratch: string;
  /** The cloud-init NoCloud seed (an ISO labelled cidata), there while a VM with [cloud_init] runs. */
  cloudInitSeed: string;
}

export function runPaths(runDir: string): RunPaths {
  return {
    dir: runDir,
    qmp: join(runDir, "qmp.sock"),
    serial: join(runDir, "serial.sock"),
    qga: join(runDir, "qga.sock"),
    serialLog: join(runDir, "serial.log"),
    vnc: join(runDir, "vnc.sock"),
    pidfile: join(runDir, "qemu.pid"),
    log: join(runDir, "qemu.log"),
    scratch: join(runDir, "io"),
    cloudInitSeed: join(runDir, "cidata.iso"),
  };
}
