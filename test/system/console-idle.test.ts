// Idle consoles must never drop (what users of Proxmox, Harvester and KubeVirt complain about most).
// Its own file, so its two quiet minutes run beside the other scenarios.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

describe("the shared serial console", () => {
  it("a console left idle for two minutes still works", async () => {
    await host.client.createVm(guestDefinition("idle"));
    expect((await host.cli(["start", "idle"])).code).toBe(0);
    const console = await ConsoleReader.open(host.client, "idle");
    await console.waitFor(GUEST_READY_LINE);
    await new Promise((r) => setTimeout(r, 125_000));
    expect(console.ended).toBe(false);
    expect(await console.run("echo awake-$((5*5))")).toContain("awake-25");
    console.close();
    expect((await host.cli(["stop", "--force", "idle"])).code).toBe(0);
  }, 200_000);
});
