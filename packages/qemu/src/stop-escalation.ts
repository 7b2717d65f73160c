// The stop escalation every driver shares: ACPI power button, after the guest's grace time the
// hypervisor's own quit, and a kill if that is ignored too. Drivers give the three primitives.
import type { ExitInfo, LogLine } from "./vm-driver.js";

export interface StopPrimitives {
  /** Resolves once the VM's process has exited. */
  readonly exited: Promise<ExitInfo>;
  powerButton(): Promise<void>;
  /** Asks the hypervisor to end at once (QMP quit). */
  quit(): Promise<void>;
  /** Ends the process whatever it does (SIGKILL). */
  kill(): void;
}

/** How long a hypervisor may take to honour quit before it is killed. */
export const QUIT_GRACE_MS = 5000;

async function exitsWithin(exited: Promise<ExitInfo>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  const done = await Promise.race([exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/** Power off at once: quit, and kill when the process has not gone within quitGraceMs. */
export async function forceStopWithEscalation(vm: StopPrimitives, log: LogLine = () => {}, quitGraceMs = QUIT_GRACE_MS): Promise<ExitInfo> {
  await vm.quit();
  if (await exitsWithin(vm.exited, quitGraceMs)) return vm.exited;
  log("QEMU ignored quit: sending SIGKILL");
  vm.kill();
  return vm.exited;
}

/** Graceful stop: the power button, then after timeoutMs (0: at once) forceStopWithEscalation. */
export async function stopWithEscalation(vm: StopPrimitives, timeoutMs: number, log: LogLine = () => {}, quitGraceMs = QUIT_GRACE_MS): Promise<ExitInfo> {
  if (timeoutMs > 0) {
    log("asking the guest to power off (ACPI power button)");
    await vm.powerButton();
    if (await exitsWithin(vm.exited, timeoutMs)) return vm.exited;
    log(`the guest did not power off within ${Math.round(timeoutMs / 1000)} s: quitting QEMU`);
  }
  return forceStopWithEscalation(vm, log, quitGraceMs);
}
