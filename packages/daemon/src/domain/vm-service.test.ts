// The inventory as the API shows it, against the fake driver: summaries with runtime state, the
// detail with uuid and typed definition, destroy refused while running, a broken definition kept.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { writeFileSync } from "node:fs";
import { domainHost, definition, power, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
beforeEach(async () => {
  d = await domainHost();
  await d.host.vms.create({ toml: definition("base", '\n[nics.net0]\nnetwork = "nat"\n') });
});
afterEach(() => d.close());

describe("inventory with the fake driver", () => {
  it("lists VMs with state, pid and accel from the runtime, and a detail with the uuid and the typed definition", async () => {
    await power(d, "base", { action: "start" });
    const [summary] = d.host.vms.list();
    expect(summary).toMatchObject({ name: "base", state: "running", cpus: 1, memoryBytes: 64 * 1024 ** 2, pid: d.driver.vm("base")!.pid, accel: "tcg" });
    const detail = d.host.vms.detail("base");
    expect(detail.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(detail.definition?.name).toBe("base");
  });

  it("a running VM is not destroyed; a stopped one is, with its runtime", async () => {
    await power(d, "base", { action: "start" });
    await expect(d.host.vms.destroy("base", false)).rejects.toThrow(/running/);
    await power(d, "base", { action: "stop", force: true });
    await d.host.vms.destroy("base", false);
    expect(d.host.inventory.has("base")).toBe(false);
    expect(d.host.vms.list()).toEqual([]);
  });

  it("a definition broken on disk is listed with its error, not dropped, and cannot start", async () => {
    const entry = d.host.inventory.get("base");
    writeFileSync(entry.file, 'name = "base"\ncpus = "many"\n');
    d.host.inventory.scan();
    const [summary] = d.host.vms.list();
    expect(summary!.definitionError).toMatch(/cpus/);
    const task = await power(d, "base", { action: "start" });
    expect(task.state).toBe("error");
    expect(task.error?.message).toMatch(/cpus/);
    expect(d.driver.started).toHaveLength(0);
  });
});
