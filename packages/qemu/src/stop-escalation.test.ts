// The stop escalation on scripted primitives: which steps run, in which order, for each guest.
import { describe, it, expect } from "vitest";
import { forceStopWithEscalation, stopWithEscalation, type StopPrimitives } from "./stop-escalation.js";
import type { ExitInfo } from "./vm-driver.js";

/** A VM that ends on the steps named in `endsOn`, recording every step taken. */
function scripted(endsOn: Array<"powerButton" | "quit" | "kill">): StopPrimitives & { steps: string[] } {
  const steps: string[] = [];
  let end!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => { end = resolve; });
  const step = (name: "powerButton" | "quit" | "kill") => {
    steps.push(name);
    if (endsOn.includes(name)) queueMicrotask(() => end({ reason: name === "powerButton" ? "guest-shutdown" : name === "quit" ? "host-stop" : "killed", detail: name }));
  };
  return { steps, exited, powerButton: async () => step("powerButton"), quit: async () => step("quit"), kill: () => step("kill") };
}

describe("stopWithEscalation", () => {
  it("stops at the power button when the guest honours it", async () => {
    const vm = scripted(["powerButton"]);
    expect((await stopWithEscalation(vm, 1000, () => {}, 1000)).reason).toBe("guest-shutdown");
    expect(vm.steps).toEqual(["powerButton"]);
  });

  it("quits after the timeout when the guest ignores the button, and logs why", async () => {
    const vm = scripted(["quit"]);
    const log: string[] = [];
    expect((await stopWithEscalation(vm, 10, (l) => log.push(l), 1000)).reason).toBe("host-stop");
    expect(vm.steps).toEqual(["powerButton", "quit"]);
    expect(log.join("\n")).toMatch(/did not power off/);
  });

  it("kills when quit is ignored too", async () => {
    const vm = scripted(["kill"]);
    expect((await stopWithEscalation(vm, 10, () => {}, 10)).reason).toBe("killed");
    expect(vm.steps).toEqual(["powerButton", "quit", "kill"]);
  });

  it("with timeout 0 (forced) never asks the guest", async () => {
    const vm = scripted(["quit"]);
    await stopWithEscalation(vm, 0, () => {}, 1000);
    expect(vm.steps).toEqual(["quit"]);
    const again = scripted(["kill"]);
    await forceStopWithEscalation(again, () => {}, 10);
    expect(again.steps).toEqual(["quit", "kill"]);
  });
});
