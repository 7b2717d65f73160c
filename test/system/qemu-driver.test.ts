// QEMU passes the cases every VmDriver must pass (packages/qemu/src/vm-driver-cases.ts), the same
// the fake driver of the domain's unit tests passes: each case starts the demo guest as the QEMU user.
import { describe, it, beforeAll, afterAll } from "vitest";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { QemuDriver, vmDriverCases, isAlive, type VmDriver } from "../../packages/qemu/src/index.js";
import { validateDefinition } from "../../packages/definition/src/index.js";
import { qemuRunAs } from "../../packages/daemon/src/domain/vm-sandbox.js";

let root: string;
const pids: number[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "vmctl-qemu-driver-"));
  chmodSync(root, 0o755);
});

afterAll(() => {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** The QEMU driver, noting every pid it starts so that none outlives the file. */
function trackedDriver(): VmDriver {
  const driver = new QemuDriver({ binary: "qemu-system-x86_64" });
  return {
    kind: driver.kind,
    runFiles: (dir) => driver.runFiles(dir),
    attach: (dir) => driver.attach(dir),
    plan: (spec) => {
      const plan = driver.plan(spec);
      return { launch: async (runAs) => { const vm = await plan.launch(runAs); pids.push(vm.pid); return vm; } };
    },
  };
}

describe("QemuDriver as a VmDriver", () => {
  const runAs = qemuRunAs();
  let n = 0;
  for (const c of vmDriverCases) {
    it(c.name, async () => {
      const guest = inject("guest");
      await c.run({
        driver: trackedDriver(),
        runAs,
        spec: async () => {
          const name = `vm${n++}`;
          const runDir = join(root, name);
          // What prepareForQemu and lockRunDir do for vmctld: the run dir and its io/ are the QEMU user's.
          for (const dir of [runDir, join(runDir, "io")]) {
            mkdirSync(dir, { mode: 0o700 });
            if (runAs) chownSync(dir, runAs.uid, runAs.gid);
          }
          const def = validateDefinition({ name, memory: "128MiB", accel: "tcg", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline } });
          return { def, runDir, accel: "tcg", resolvePath: (_ds, path) => join(guest.dir, path) };
        },
      });
    });
  }
});
