// The cases every VmDriver must pass (Hono's habit: one suite, every implementation): run against
// QEMU in test/system/qemu-driver.test.ts and against the fake driver in the daemon's unit tests,
// so that what the domain's unit tests take for granted of the fake holds for QEMU too.
import assert from "node:assert/strict";
import type { StartSpec, VmDriver, VmDriverEvent, VmHandle } from "./vm-driver.js";

export interface DriverCaseContext {
  driver: VmDriver;
  /** A spec for a fresh VM in its own run dir (a display, no disks). */
  spec(): Promise<StartSpec>;
  /** Who the VM runs as. */
  runAs: Parameters<ReturnType<VmDriver["plan"]>["launch"]>[0];
}

export interface DriverCase { name: string; run(ctx: DriverCaseContext): Promise<void> }

async function started(ctx: DriverCaseContext): Promise<{ vm: VmHandle; spec: StartSpec }> {
  const spec = await ctx.spec();
  return { vm: await ctx.driver.plan(spec).launch(ctx.runAs), spec };
}

function nextEvent(vm: VmHandle, type: VmDriverEvent["type"]): Promise<VmDriverEvent> {
  return new Promise((resolve) => {
    const off = vm.onEvent((event) => { if (event.type === type) { off(); resolve(event); } });
  });
}

export const vmDriverCases: DriverCase[] = [
  {
    name: "starts with the vCPUs stopped; resume and pause change the status and send their events",
    async run(ctx) {
      const { vm } = await started(ctx);
      try {
        assert.equal(await vm.status(), "paused");
        const resumed = nextEvent(vm, "resumed");
        await vm.resume();
        await resumed;
        assert.equal(await vm.status(), "running");
        const paused = nextEvent(vm, "paused");
        await vm.pause();
        await paused;
        assert.equal(await vm.status(), "paused");
      } finally {
        await vm.forceStop();
      }
    },
  },
  {
    name: "forceStop ends the VM at once as a host stop, and wait() says the same",
    async run(ctx) {
      const { vm } = await started(ctx);
      await vm.resume();
      const info = await vm.forceStop();
      assert.equal(info.reason, "host-stop");
      assert.deepEqual(await vm.wait(), info);
      await assert.rejects(vm.pause());
    },
  },
  {
    name: "stop ends the VM, by the guest or after the timeout by quit, never as a crash",
    async run(ctx) {
      const { vm } = await started(ctx);
      await vm.resume();
      const info = await vm.stop(200);
      assert.ok(info.reason === "guest-shutdown" || info.reason === "host-stop", `stopped as ${info.reason}`);
    },
  },
  {
    name: "a detached VM keeps running and is attached again from its run dir; an empty run dir attaches nothing",
    async run(ctx) {
      const { vm, spec } = await started(ctx);
      vm.detach();
      const again = await ctx.driver.attach(spec.runDir);
      assert.ok(again, "attach found the running VM");
      try {
        assert.equal(again.pid, vm.pid);
        assert.equal(await again.status(), "paused");
      } finally {
        await again.forceStop();
      }
      assert.equal(await ctx.driver.attach(spec.runDir), null);
    },
  },
  {
    name: "a screenshot is a PNG, and the run files are in the run dir",
    async run(ctx) {
      const { vm, spec } = await started(ctx);
      try {
        const png = await vm.screenshot(64 * 1024 * 1024);
        assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
        assert.equal(vm.files.dir, spec.runDir);
        assert.deepEqual(vm.files, ctx.driver.runFiles(spec.runDir));
      } finally {
        await vm.forceStop();
      }
    },
  },
];
