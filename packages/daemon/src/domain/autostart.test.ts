// Autostart order and delay against the fake driver: lower autostart_order starts first, equal
// orders by name, a VM without autostart (or a template) not at all, and the delay waited after a
// VM's start before the next begins.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { basename } from "node:path";
import { domainHost, definition, type DomainHost } from "./testing/domain-host.js";
import { autostartPlan, runAutostart } from "./autostart.js";

let d: DomainHost;
beforeEach(async () => { d = await domainHost(); });
afterEach(() => d.close());

const policy = (order: number, delay = 0, autostart = true) => `\n[policy]\nautostart = ${autostart}\nautostart_order = ${order}\nautostart_delay = ${delay}\n`;

describe("autostart order", () => {
  it("starts the autostart VMs lowest order first, equal orders by name, waiting each delay", async () => {
    await d.host.vms.create({ toml: definition("zeta", policy(-5)) });
    await d.host.vms.create({ toml: definition("db", policy(10, 7)) });
    await d.host.vms.create({ toml: definition("app-b", policy(20)) });
    await d.host.vms.create({ toml: definition("app-a", policy(20)) });
    await d.host.vms.create({ toml: definition("manual", policy(0, 0, false)) });
    await d.host.vms.create({ toml: `name = "plain"\ncpus = 1\nmemory = "64MiB"\n[console]\nserial = false\nvnc = false\n[policy]\nautostart = true\n` });
    const plan = autostartPlan(d.host.inventory.list().map((e) => ({ name: e.name, def: e.def })));
    expect(plan.map((s) => s.name)).toEqual(["zeta", "plain", "db", "app-a", "app-b"]);

    const log: string[] = [];
    const sleep = async (ms: number) => { log.push(`sleep ${ms}`); };
    await runAutostart(plan, async (name) => { await d.host.autostartOne(name); log.push(`started ${name}`); }, sleep);
    expect(log).toEqual(["started zeta", "started plain", "started db", "sleep 7000", "started app-a", "started app-b"]);
    // Each start had ended (the fake QEMU runs) before the next began, in that order.
    expect(d.driver.started.map((vm) => basename(vm.spec.runDir))).toEqual(["zeta", "plain", "db", "app-a", "app-b"]);
    expect(d.host.vms.list().filter((vm) => vm.state === "running").map((vm) => vm.name).sort()).toEqual(["app-a", "app-b", "db", "plain", "zeta"]);
  });

  it("refuses an order or delay out of bounds, naming the field", async () => {
    await expect(d.host.vms.create({ toml: definition("bad", policy(0, 99999)) })).rejects.toThrow(/policy\.autostart_delay/);
    await expect(d.host.vms.create({ toml: definition("bad", policy(5000)) })).rejects.toThrow(/policy\.autostart_order/);
  });
});

describe("autostart on a joined host", () => {
  it("leaves out the VMs the host may not start by itself (HA VMs on shared storage: vmcenter starts them)", async () => {
    await d.host.vms.create({ toml: definition("ha-vm", policy(0)) });
    await d.host.vms.create({ toml: definition("own-vm", policy(1)) });
    const vms = d.host.inventory.list().map((e) => ({ name: e.name, def: e.def }));
    expect(autostartPlan(vms, (name) => name !== "ha-vm").map((s) => s.name)).toEqual(["own-vm"]);
    d.host.cluster = { mayStartItself: (name: string) => name !== "ha-vm" } as unknown as NonNullable<typeof d.host.cluster>;
    await d.host.autostartOne("ha-vm");
    expect(d.host.runtimes.get("ha-vm").state).toBe("stopped");
    await d.host.autostartOne("own-vm");
    expect(d.host.runtimes.get("own-vm").state).toBe("running");
  });
});
