// NICs against the fake driver and the null plumbing (which only logs what it would make): the taps
// of NICs hot-plugged and unplugged while QEMU runs are the ones removed when it ends, a hot-plug
// QEMU refuses takes its tap back and writes nothing, and a stopped VM only has its definition changed.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Host } from "../host.js";
import { loadHostConfig } from "../config/host-config.js";
import { NullNetworkPlumbing } from "../network/network-plumbing.js";
import { FakeDriver } from "./testing/fake-driver.js";
import { FakeHostFiles } from "./testing/fake-host-files.js";
import { definition, writeQcow2 } from "./testing/domain-host.js";

let home: string;
let host: Host;
let driver: FakeDriver;
let plumbing: NullNetworkPlumbing;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), "vmctl-nics-"));
  const config = await loadHostConfig(home);
  mkdirSync(config.datastores.local!, { recursive: true });
  mkdirSync(config.runDir, { recursive: true });
  driver = new FakeDriver();
  plumbing = new NullNetworkPlumbing();
  host = new Host(config, pino({ level: "silent" }), { driver, hostFiles: new FakeHostFiles(), networkPlumbing: plumbing, accelerator: async () => ({ accel: "tcg" as const, reason: "fake" }) });
  host.inventory.scan();
  await host.vms.create({ toml: definition("web", '\n[nics.net0]\nnetwork = "default"\n') });
});
afterEach(() => {
  host.close();
  for (const vm of driver.started) if (vm.alive) vm.die("host-stop");
  rmSync(home, { recursive: true, force: true });
});

const run = async (action: "start" | "stop") => {
  const task = await host.tasks.wait(host.power.request("web", action === "stop" ? { action, force: true } : { action }, "test").id, 30_000);
  expect(task.state).toBe("success");
};
const taps = (verb: "tap" | "rm tap") => plumbing.log.filter((l) => l.startsWith(`${verb} `)).map((l) => l.split(" ")[verb === "tap" ? 1 : 2]);

describe("NICs with the fake driver", () => {
  it("the taps removed when QEMU ends are those of the NICs it has then: hot-plugged ones go, unplugged ones are not removed twice", async () => {
    await run("start");
    const [net0] = taps("tap");
    const added = await host.nics.add("web", { network: "default" });
    expect(added).toMatchObject({ id: "net1", network: "default", model: "virtio", link: "up" });
    const net1 = taps("tap")[1]!;
    expect(added.tap).toBe(net1);
    expect(driver.vm("web")!.nics.get("net1")).toEqual({ link: "up", backend: "tap" });
    await host.nics.remove("web", "net0");
    expect(taps("rm tap")).toEqual([net0]);
    expect(driver.vm("web")!.nics.has("net0")).toBe(false);
    await run("stop");
    await expect.poll(() => taps("rm tap")).toEqual([net0, net1]);
    expect(Object.keys(host.inventory.definition("web").nics)).toEqual(["net1"]);
  });

  it("a hot-plug QEMU refuses takes its tap back and leaves the definition as it was", async () => {
    await run("start");
    driver.vm("web")!.failNext("hotplugNic");
    const { etag } = host.inventory.get("web");
    await expect(host.nics.add("web", { network: "default", id: "extra" })).rejects.toThrow(/fake hotplugNic failed/);
    expect(taps("tap")).toHaveLength(2);
    expect(taps("rm tap")).toEqual([taps("tap")[1]]);
    expect(host.inventory.get("web").etag).toBe(etag);
  });

  it("a MAC is allocated unique and lower case; a given one another NIC has is refused", async () => {
    const mac = host.inventory.definition("web").nics.net0!.mac;
    await expect(host.nics.add("web", { network: "default", mac: mac.toUpperCase() })).rejects.toMatchObject({ code: "in_use" });
    const added = await host.nics.add("web", { network: "default", mac: "52:54:00:AB:CD:EF" });
    expect(added.mac).toBe("52:54:00:ab:cd:ef");
    const fresh = await host.nics.add("web", { network: "default" });
    expect(fresh.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(new Set([mac, added.mac, fresh.mac]).size).toBe(3);
  });

  it("refuses a NIC a q35 VM could not start with: its virtio disks and NICs fill the 12 root ports", async () => {
    mkdirSync(join(host.config.datastores.local!, "disks"), { recursive: true });
    const disks = Array.from({ length: 11 }, (_, i) => {
      writeQcow2(join(host.config.datastores.local!, "disks", `d${i}.qcow2`));
      return `[disks.d${i}]\nfile = "disks/d${i}.qcow2"\nformat = "qcow2"\n`;
    }).join("");
    await host.vms.create({ toml: definition("full", `\n${disks}\n[nics.net0]\nnetwork = "default"\n`) });
    await expect(host.nics.add("full", { network: "default" })).rejects.toThrow(/"full" has 12 virtio disks and NICs, as many as a q35 VM starts with \(12\)/);
    expect(Object.keys(host.inventory.definition("full").nics)).toEqual(["net0"]);
  });

  it("link down on a running VM is set live and kept; the next start has it down", async () => {
    await run("start");
    expect(await host.nics.setLink("web", "net0", "down")).toMatchObject({ link: "down" });
    expect(driver.vm("web")!.nics.get("net0")!.link).toBe("down");
    await run("stop");
    await run("start");
    expect(driver.vm("web")!.spec.def.nics.net0!.link).toBe("down");
  });
});
