// The Host Client's networks in Debian's Chromium against a real vmctld, both inside a network
// namespace this file makes (the bridges, dnsmasq and nftables of the networks made here never
// touch the machine's own namespace; Chromium runs in it too, to reach vmctld's loopback port):
// an Admin creates an isolated network and deletes it, a refusal shows at its field, a ReadOnly
// user gets no create or delete; a VM's page lists its NICs; the wizard puts a VM's NIC on a chosen
// network and fills its cloud-init table.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { TestHost, ADMIN_PASSWORD, guestDefinition } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn, unnamedControls } from "./browser.js";

const run = promisify(execFile);
const NS = `vmctl-t-${randomBytes(4).toString("hex")}`;
// Subnets of this namespace only: nothing outside it routes them.
const LAB = "10.232.9.0/24";
const WIZ = "10.232.10.0/24";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm6Cw9b2cT0l5oKqAqv0Qe0n1x0gqk6h8cQz3oVQf7e alice@laptop";
const HASH = "$6$saltsalt$2n2Xh3gAVVhWBNN1kGpEhTq8TmDdHHKrQzVg6wQnK3nz0H1kqD0W9Z.d7Mf1m1lqSGd8Jv9e4w5eVxwFzGoqt.";
let host: TestHost;
let browser: Browser;
let bin: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await run("ip", ["netns", "add", NS]);
  await run("ip", ["-n", NS, "link", "set", "lo", "up"]);
  host = await TestHost.start({ netns: NS });
  await host.client.call("POST", "/api/v1/users", { username: "netview", password: "netview-password", role: "ReadOnly" });
  // Chromium in the namespace: playwright talks to it over the pipes it inherits through ip netns exec.
  bin = mkdtempSync(join(tmpdir(), "vmctl-ui-netns-"));
  const wrapper = join(bin, "chromium");
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  browser = await launchChromium(wrapper);
});

afterAll(async () => {
  await browser?.close();
  await host?.close().catch(() => {});
  // Whatever else ran in the namespace (a dnsmasq a failed test left, Chromium's helpers), by pid.
  for (const pid of (await run("ip", ["netns", "pids", NS]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean)) {
    try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
  }
  await run("ip", ["netns", "del", NS]).catch(() => {});
  if (bin) rmSync(bin, { recursive: true, force: true });
});

const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true }).click();
const row = (page: Page, network: string) => page.locator(`tr[data-network="${network}"]`);

describe("Host Client networks", () => {
  it("an Admin creates an isolated network, sees it listed and active, a refused subnet at its field, and deletes it after confirming", async () => {
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await nav(page, "Networks");
    await page.getByRole("heading", { name: "Networks" }).waitFor();
    // The host's default network: NAT, waiting for its first VM, not deletable here (the button says why).
    await expect.poll(async () => row(page, "default").innerText()).toMatch(/default[\s\S]*NAT[\s\S]*inactive[\s\S]*default/);
    expect(await row(page, "default").getByRole("button", { name: "Delete default" }).getAttribute("aria-disabled")).toBe("true");

    await page.getByRole("button", { name: "Create network" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("ui-lab");
    await dialog.getByLabel("Kind").selectOption({ label: "Isolated" });
    await dialog.getByLabel("Subnet").fill(LAB);
    await page.screenshot({ path: `${ARTIFACTS}/networks-create.png` });
    await dialog.getByRole("button", { name: "Create network" }).click();
    await dialog.waitFor({ state: "detached" });
    const lab = await host.client.network("ui-lab");
    expect(lab).toMatchObject({ kind: "isolated", subnet: LAB, gateway: "10.232.9.1", state: "active", origin: "added" });
    await expect.poll(async () => row(page, "ui-lab").innerText()).toMatch(new RegExp(`ui-lab[\\s\\S]*Isolated[\\s\\S]*10\\.232\\.9\\.0/24[\\s\\S]*10\\.232\\.9\\.1[\\s\\S]*${lab.device}[\\s\\S]*active[\\s\\S]*added here[\\s\\S]*none`));

    // A subnet that overlaps ui-lab: vmctld refuses, the dialog stays, the reason is under Subnet.
    await page.getByRole("button", { name: "Create network" }).click();
    await dialog.getByLabel("Name").fill("ui-clash");
    await dialog.getByLabel("Subnet").fill("10.232.9.128/25");
    await dialog.getByRole("button", { name: "Create network" }).click();
    const subnetGroup = dialog.locator(".pf-v6-c-form__group", { has: page.getByLabel("Subnet") });
    await expect.poll(async () => subnetGroup.innerText()).toContain('overlaps network "ui-lab"');
    expect(await dialog.getByLabel("Subnet").getAttribute("aria-invalid")).toBe("true");
    await page.screenshot({ path: `${ARTIFACTS}/networks-create-refused.png` });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(host.client.network("ui-clash")).rejects.toMatchObject({ status: 404 });

    expect(await unnamedControls(page)).toEqual([]);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${ARTIFACTS}/networks.png` });

    // Delete asks first; Cancel keeps it, Delete takes it (and its bridge) away.
    await row(page, "ui-lab").getByRole("button", { name: "Delete ui-lab" }).click();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await host.client.network("ui-lab")).state).toBe("active");
    await row(page, "ui-lab").getByRole("button", { name: "Delete ui-lab" }).click();
    await page.screenshot({ path: `${ARTIFACTS}/networks-delete.png` });
    await dialog.getByRole("button", { name: "Delete" }).click();
    await row(page, "ui-lab").waitFor({ state: "detached" });
    await expect(host.client.network("ui-lab")).rejects.toMatchObject({ status: 404 });
    const links = JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).not.toContain(lab.device);
    await page.context().close();
  });

  it("a ReadOnly user sees the networks but no create or delete", async () => {
    await host.client.createNetwork({ name: "ui-ro", kind: "isolated", subnet: "10.232.11.0/24" });
    const page = await logIn(browser, host, "netview", "netview-password");
    await nav(page, "Networks");
    await expect.poll(async () => row(page, "ui-ro").innerText()).toMatch(/ui-ro[\s\S]*Isolated[\s\S]*active/);
    expect(await page.getByRole("button", { name: "Create network" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Delete/ }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/networks-readonly.png` });
    await page.context().close();
    await host.client.removeNetwork("ui-ro");
  });

  it("a VM's page lists its NICs with network, model and MAC, and the network page names the VM", async () => {
    await host.client.createNetwork({ name: "ui-nics", kind: "isolated", subnet: "10.232.12.0/24" });
    await host.client.createVm(guestDefinition("ui-nic-vm", { nics: { net0: { network: "ui-nics", mac: "52:54:00:0a:0b:0c" }, wan: { model: "e1000" } } }));
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await page.goto(`https://127.0.0.1:${host.port}/ui/vms/ui-nic-vm/hardware`);
    const nics = page.getByTestId("nics");
    await expect.poll(async () => nics.locator('tr[data-nic="net0"]').innerText()).toMatch(/net0[\s\S]*ui-nics[\s\S]*Isolated[\s\S]*virtio[\s\S]*52:54:00:0a:0b:0c[\s\S]*—/);
    await expect.poll(async () => nics.locator('tr[data-nic="wan"]').innerText()).toMatch(/wan[\s\S]*default[\s\S]*NAT[\s\S]*Intel e1000/);
    await page.getByRole("heading", { name: "Network adapters" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/vm-nics.png` });
    // The inventory's IP column says "—" for a VM with no address yet, never "Unknown".
    await nav(page, "Virtual machines");
    await expect.poll(async () => page.locator('tr[data-vm="ui-nic-vm"] [data-testid="addresses"]').innerText()).toBe("—");
    await nav(page, "Networks");
    await expect.poll(async () => row(page, "ui-nics").getByTestId("network-vms").innerText()).toBe("ui-nic-vm");
    await expect.poll(async () => row(page, "default").getByTestId("network-vms").innerText()).toBe("ui-nic-vm");
    await page.context().close();
    await host.client.destroyVm("ui-nic-vm");
    await host.client.removeNetwork("ui-nics");
  });

  it("the wizard creates a VM on a chosen network with cloud-init fields, says them in the review, and the definition carries them", async () => {
    await host.client.createNetwork({ name: "ui-wiz", kind: "isolated", subnet: WIZ });
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Create VM" }).click();
    await page.getByLabel("Name", { exact: true }).fill("ui-cloud");
    await page.getByLabel("Memory").fill("256MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Disk size").fill("64MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Network of net0").selectOption("ui-wiz");
    await page.getByLabel("Host name").fill("cloudy");
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("SSH public key").fill(KEY);
    await page.getByLabel("Password hash (optional)").fill(HASH);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-network-cloud-init.png`, fullPage: true });
    await page.getByRole("button", { name: "Next" }).click();
    const review = page.getByTestId("wizard-review");
    await expect.poll(async () => review.innerText()).toMatch(/net0 on ui-wiz \(Isolated\)[\s\S]*host name cloudy; user alice who logs in with ssh-ed25519 key "alice@laptop", with a password \(hash given\), may sudo/);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-review.png` });
    await page.getByLabel("Start the VM once created").uncheck();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^ui-cloud/ }).waitFor();

    const { definition } = await host.client.getVm("ui-cloud");
    expect(definition?.nics).toEqual({ net0: expect.objectContaining({ network: "ui-wiz", model: "virtio" }) });
    expect(definition?.cloud_init).toMatchObject({ hostname: "cloudy", users: [{ name: "alice", ssh_authorized_keys: [KEY], password_hash: HASH, sudo: true }] });
    await page.getByRole("tab", { name: "Hardware" }).click();
    await expect.poll(async () => page.getByTestId("nics").innerText()).toMatch(/net0[\s\S]*ui-wiz[\s\S]*Isolated/);
    await page.context().close();
    await host.client.destroyVm("ui-cloud");
    await host.client.removeNetwork("ui-wiz");
  });
});
