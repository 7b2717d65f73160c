// The Host Client's networks in Debian's Chromium against a real vmctld, both inside a network
// namespace this file makes (the bridges, dnsmasq and nftables of the networks made here never
// touch the machine's own namespace; Chromium reaches vmctld's loopback port there through a relay):
// an Admin creates an isolated network and deletes it, a refusal shows at its field, a ReadOnly
// user gets no create or delete; a VM's page lists its NICs; the wizard puts a VM's NIC on a chosen
// network and fills its cloud-init table.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { TestHost, ADMIN_PASSWORD, guestDefinition } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn, unnamedControls } from "./browser.js";
import { createNetns, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
// Subnets of this namespace only: nothing outside it routes them.
const LAB = "10.232.9.0/24";
const WIZ = "10.232.10.0/24";
const OFFICE = "10.232.14.0/24";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm6Cw9b2cT0l5oKqAqv0Qe0n1x0gqk6h8cQz3oVQf7e alice@laptop";
const HASH = "$6$saltsalt$2n2Xh3gAVVhWBNN1kGpEhTq8TmDdHHKrQzVg6wQnK3nz0H1kqD0W9Z.d7Mf1m1lqSGd8Jv9e4w5eVxwFzGoqt.";
let host: TestHost;
let browser: Browser;
let bin: string;
let relay: ChildProcess | undefined;
let outer: Server | undefined;
/** Where the browser reaches vmctld (the relay's port): what logIn and page.goto take. */
let ui: TestHost;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  netns = await createNetns("t");
  NS = netns.name;
  // A subnet the namespace already routes (on a veth of its own), which vmctld.toml's "clash" asks for.
  await run("ip", ["-n", NS, "link", "add", "vmtclash0", "type", "veth", "peer", "name", "vmtclash1"]);
  await run("ip", ["-n", NS, "addr", "add", "10.232.15.1/24", "dev", "vmtclash0"]);
  await run("ip", ["-n", NS, "link", "set", "vmtclash0", "up"]);
  // A Linux bridge of the namespace's own, for a bridge network.
  await run("ip", ["-n", NS, "link", "add", "vmtbr0", "type", "bridge"]);
  await run("ip", ["-n", NS, "link", "set", "vmtbr0", "up"]);
  // Networks of vmctld.toml: listed, but deleted only there; one of them cannot come up.
  host = await TestHost.start({ netns: NS, config: `[networks.office]\nkind = "isolated"\nsubnet = "${OFFICE}"\n[networks.clash]\nkind = "isolated"\nsubnet = "10.232.15.0/24"\n` });
  await host.client.call("POST", "/api/v1/users", { username: "netview", password: "netview-password", role: "ReadOnly" });
  // Chromium stays in the machine's namespace (in vmctld's, every bridge made or removed there was a
  // "network change" that aborted its page loads): it reaches vmctld's loopback port through a byte
  // relay in vmctld's namespace on a unix socket, and one on this side's loopback.
  bin = mkdtempSync(join(tmpdir(), "vmctl-ui-netns-"));
  const socket = join(bin, "vmctld-https.sock");
  const relayScript = `const net = require("node:net"); net.createServer((c) => { const u = net.connect(${host.port}, "127.0.0.1"); c.pipe(u).pipe(c); u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); }).listen(${JSON.stringify(socket)});`;
  relay = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", relayScript], { stdio: "ignore" });
  while (!existsSync(socket)) await new Promise((r) => setTimeout(r, 50));
  outer = createServer((c) => { const u = connect(socket); c.pipe(u).pipe(c); u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); });
  await new Promise<void>((resolve) => outer!.listen(0, "127.0.0.1", resolve));
  ui = { port: (outer.address() as AddressInfo).port } as TestHost;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  outer?.close();
  if (relay?.pid) { try { process.kill(relay.pid, "SIGKILL"); } catch { /* gone */ } }
  await host?.close().catch(() => {});
  // Whatever else ran in the namespace (a dnsmasq a failed test left, Chromium's helpers), by pid.
  await netns?.close();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true }).click();
const row = (page: Page, network: string) => page.locator(`tr[data-network="${network}"]`);

describe("Host Client networks", () => {
  it("an Admin creates an isolated network, sees it listed and active, a refused subnet at its field, and deletes it after confirming", async () => {
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    await nav(page, "Networks");
    await page.getByRole("heading", { name: "Networks" }).waitFor();
    // The host's default network: NAT, waiting for its first VM, not deletable here (the button says why).
    await expect.poll(async () => row(page, "default").innerText()).toMatch(/default[\s\S]*NAT[\s\S]*inactive[\s\S]*default/);
    expect(await row(page, "default").getByRole("button", { name: "Delete default" }).getAttribute("aria-disabled")).toBe("true");
    // A network that could not come up says so, and why.
    await expect.poll(async () => row(page, "clash").getByTestId("network-state").innerText()).toBe("failed");
    expect(await page.locator('tr[data-network-error="clash"]').innerText()).toMatch(/clash could not be brought up: .*10\.232\.15\.0\/24.*vmtclash0/);
    // vmctld.toml's network: its Delete says where it is removed instead.
    await expect.poll(async () => row(page, "office").innerText()).toMatch(/office[\s\S]*Isolated[\s\S]*10\.232\.14\.0\/24[\s\S]*active[\s\S]*vmctld\.toml/);
    const officeDelete = row(page, "office").getByRole("button", { name: "Delete office" });
    expect(await officeDelete.getAttribute("aria-disabled")).toBe("true");
    await officeDelete.hover();
    const tooltip = page.getByRole("tooltip");
    await tooltip.getByText("Declared in vmctld.toml: remove its [networks.office] table there and restart vmctld.").waitFor();
    await expect.poll(() => tooltip.evaluate((el) => getComputedStyle(el).opacity)).toBe("1");
    await page.screenshot({ path: `${ARTIFACTS}/networks-config-not-deletable.png` });
    await officeDelete.click({ force: true });
    expect(await page.getByRole("dialog").count()).toBe(0);

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
    // Nothing of the list is cut off at the right (no sideways scrolling to reach Delete).
    expect(await page.getByTestId("networks").evaluate((table) => table.scrollWidth <= (table.parentElement?.clientWidth ?? 0))).toBe(true);
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
    const links = async () => (JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname);
    await expect.poll(links).not.toContain(lab.device);
    await page.context().close();
  });

  it("a port group's form asks for its parent and VLAN and lists it in words; a bridge that does not exist is refused at its field", async () => {
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    // The page's own address opens it (a reload, a shared link).
    await page.goto(`https://127.0.0.1:${ui.port}/ui/networks`);
    await page.getByRole("heading", { name: "Networks" }).waitFor();
    await page.getByRole("button", { name: "Create network" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("ui-pg10");
    await dialog.getByLabel("Kind").selectOption({ label: "Port group" });
    // No subnet for a port group: it shares its parent's.
    expect(await dialog.getByLabel("Subnet").count()).toBe(0);
    await dialog.getByLabel("Parent network").selectOption("office");
    await dialog.getByLabel("VLAN").fill("5000");
    await dialog.getByText("A VLAN tag is a whole number from 1 to 4094.").waitFor();
    expect(await dialog.getByRole("button", { name: "Create network" }).isDisabled()).toBe(true);
    await dialog.getByLabel("VLAN").fill("10");
    await page.screenshot({ path: `${ARTIFACTS}/networks-create-portgroup.png` });
    await dialog.getByRole("button", { name: "Create network" }).click({ timeout: 10_000 });
    // Closed once vmctld made it; a refusal keeps it open, and this says which.
    await expect.poll(async () => ((await dialog.count()) === 0 ? "closed" : await dialog.innerText()), { timeout: 30_000 }).toBe("closed");
    expect(await host.client.network("ui-pg10")).toMatchObject({ kind: "portgroup", parent: "office", vlan: 10 });
    await expect.poll(async () => row(page, "ui-pg10").innerText()).toMatch(/ui-pg10[\s\S]*Port group \(VLAN 10 on office\)[\s\S]*10\.232\.14\.0\/24 \(of office\)[\s\S]*gateway 10\.232\.14\.1/);

    // A bridge network on a bridge this host does not have: vmctld's answer, under Bridge.
    await page.getByRole("button", { name: "Create network" }).click();
    await dialog.getByLabel("Name").fill("ui-lan");
    await dialog.getByLabel("Kind").selectOption({ label: "Bridge" });
    await dialog.getByLabel("Bridge").fill("nobr0");
    await dialog.getByRole("button", { name: "Create network" }).click();
    const bridgeGroup = dialog.locator(".pf-v6-c-form__group", { has: page.getByLabel("Bridge") });
    await expect.poll(async () => bridgeGroup.innerText()).toContain("the host has no device nobr0");
    expect(await dialog.getByTestId("network-refusal").count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/networks-create-bridge-refused.png` });
    expect(await dialog.getByLabel("Bridge").getAttribute("aria-invalid")).toBe("true");
    // The namespace's own bridge with a VLAN tag: made, and what vmctld says it does instead (a
    // kernel without 802.1Q keeps the tagged VMs on this host) is shown under it, as vmctld says it.
    await dialog.getByLabel("Bridge").fill("vmtbr0");
    await dialog.getByLabel("VLAN").fill("20");
    await dialog.getByRole("button", { name: "Create network" }).click();
    await expect.poll(async () => ((await dialog.count()) === 0 ? "closed" : await dialog.innerText()), { timeout: 30_000 }).toBe("closed");
    const lan = await host.client.network("ui-lan");
    expect(lan).toMatchObject({ kind: "bridge", bridge: "vmtbr0", vlan: 20 });
    await expect.poll(async () => row(page, "ui-lan").innerText()).toMatch(/ui-lan[\s\S]*Bridge \(VLAN 20\)/);
    const warning = page.locator('tr[data-network-warning="ui-lan"]');
    if (lan.warning) expect(await warning.innerText()).toBe(`Note: ${lan.warning}`);
    else expect(await warning.count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/networks-portgroup-bridge.png` });
    await page.context().close();
    await host.client.removeNetwork("ui-lan");
    await host.client.removeNetwork("ui-pg10");
  });

  it("a ReadOnly user sees the networks but no create or delete", async () => {
    await host.client.createNetwork({ name: "ui-ro", kind: "isolated", subnet: "10.232.11.0/24" });
    const page = await logIn(browser, ui, "netview", "netview-password");
    await nav(page, "Networks");
    await expect.poll(async () => row(page, "ui-ro").innerText()).toMatch(/ui-ro[\s\S]*Isolated[\s\S]*active/);
    expect(await page.getByRole("button", { name: "Create network" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Delete/ }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/networks-readonly.png` });
    // On a VM's Hardware tab: its adapters and forwards, with no button that changes them.
    await host.client.createVm(guestDefinition("ui-ro-vm", { nics: { net0: { network: "ui-ro" } } }));
    await page.goto(`https://127.0.0.1:${ui.port}/ui/vms/ui-ro-vm/hardware`);
    await expect.poll(async () => page.getByTestId("nics").innerText()).toMatch(/net0[\s\S]*ui-ro[\s\S]*Isolated[\s\S]*([0-9a-f]{2}:){5}[0-9a-f]{2}[\s\S]*up/);
    for (const name of ["Add network adapter", "Remove net0", "Pull the cable of net0", "Add port forward"]) expect(await page.getByRole("button", { name }).count(), name).toBe(0);
    await page.context().close();
    await host.client.destroyVm("ui-ro-vm");
    await host.client.removeNetwork("ui-ro");
  });

  it("a VM's page lists its NICs with network, model and MAC, and the network page names the VM", async () => {
    await host.client.createNetwork({ name: "ui-nics", kind: "isolated", subnet: "10.232.12.0/24" });
    await host.client.createVm(guestDefinition("ui-nic-vm", { nics: { net0: { network: "ui-nics", mac: "52:54:00:0a:0b:0c" }, wan: { model: "e1000" } } }));
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    await page.goto(`https://127.0.0.1:${ui.port}/ui/vms/ui-nic-vm/hardware`);
    const nics = page.getByTestId("nics");
    await expect.poll(async () => nics.locator('tr[data-nic="net0"]').innerText()).toMatch(/net0[\s\S]*ui-nics[\s\S]*Isolated[\s\S]*virtio[\s\S]*52:54:00:0a:0b:0c[\s\S]*—/);
    await expect.poll(async () => nics.locator('tr[data-nic="wan"]').innerText()).toMatch(/wan[\s\S]*default[\s\S]*NAT[\s\S]*Intel e1000/);
    // Added in the browser: a second adapter on ui-nics, its cable pulled; wan removed after a confirmation.
    await page.getByRole("button", { name: "Add network adapter" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Network").selectOption("ui-nics");
    await dialog.getByLabel("Model").selectOption("rtl8139");
    await dialog.getByRole("button", { name: "Add network adapter" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(async () => nics.locator('tr[data-nic="net1"]').innerText()).toMatch(/net1[\s\S]*ui-nics[\s\S]*Realtek RTL8139[\s\S]*([0-9a-f]{2}:){5}[0-9a-f]{2}[\s\S]*up/);
    await page.getByRole("button", { name: "Pull the cable of net1" }).click();
    await expect.poll(async () => nics.getByTestId("link-net1").innerText()).toContain("down");
    await page.getByRole("button", { name: "Remove wan" }).click();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(Object.keys((await host.client.getVm("ui-nic-vm")).definition!.nics).sort()).toEqual(["net0", "net1", "wan"]);
    await page.getByRole("button", { name: "Remove wan" }).click();
    await dialog.getByRole("button", { name: "Remove" }).click();
    await nics.locator('tr[data-nic="wan"]').waitFor({ state: "detached" });
    expect(await unnamedControls(page)).toEqual([]);
    const after = (await host.client.getVm("ui-nic-vm")).definition!.nics;
    expect(after).toEqual({ net0: expect.objectContaining({ network: "ui-nics", mac: "52:54:00:0a:0b:0c" }), net1: expect.objectContaining({ network: "ui-nics", model: "rtl8139", link: "down" }) });
    await page.getByRole("heading", { name: "Network adapters" }).evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${ARTIFACTS}/vm-nics.png` });
    // The inventory's IP column says "—" for a VM with no address yet, never "Unknown".
    await nav(page, "Virtual machines");
    await expect.poll(async () => page.locator('tr[data-vm="ui-nic-vm"] [data-testid="addresses"]').innerText()).toBe("—");
    await nav(page, "Networks");
    await expect.poll(async () => row(page, "ui-nics").getByTestId("network-vms").innerText()).toBe("ui-nic-vm");
    await expect.poll(async () => row(page, "default").getByTestId("network-vms").innerText()).toBe("none");
    await page.context().close();
    await host.client.destroyVm("ui-nic-vm");
  });

  it("a running VM's DHCP address shows in the inventory's IP column and at its NIC, marked dhcp", async () => {
    await host.client.createVm(guestDefinition("ui-ip-vm", { nics: { net0: { network: "ui-nics", mac: "52:54:00:0a:0b:0d" } } }));
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    const cell = page.locator('tr[data-vm="ui-ip-vm"] [data-testid="addresses"]');
    await expect.poll(async () => cell.innerText()).toBe("—");
    // Started, the guest's udhcpc gets a lease from vmctld's dnsmasq on ui-nics.
    await page.getByRole("button", { name: "Start ui-ip-vm" }).click();
    await expect.poll(async () => cell.innerText(), { timeout: 90_000, interval: 2000 }).toMatch(/^10\.232\.12\.\d+\s*dhcp$/).catch(async (error: unknown) => {
      // What vmctld and the guest knew, for the failure message.
      const vm = await host.client.getVm("ui-ip-vm");
      const tasks = (await host.client.listTasks({ limit: 3 })).map((t) => `${t.op} ${t.state} ${t.error?.message ?? ""}`);
      const leases = (() => { try { return readFileSync(join(host.home, "run", ".networks", "ui-nics", "dnsmasq.leases"), "utf8"); } catch (e) { return (e as Error).message; } })();
      throw new Error(`no dhcp address shown: vmctld says ${vm.state} ${JSON.stringify(vm.addresses)}; tasks ${tasks.join(" | ")}; leases: ${leases}`, { cause: error });
    });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${ARTIFACTS}/inventory-addresses.png` });
    const [address, ...more] = (await host.client.getVm("ui-ip-vm")).addresses;
    expect(address).toMatchObject({ nic: "net0", mac: "52:54:00:0a:0b:0d", source: "dhcp" });
    expect(more).toEqual([]);
    await page.locator('tr[data-vm="ui-ip-vm"]').getByRole("link", { name: "ui-ip-vm" }).click();
    await expect.poll(async () => page.getByTestId("summary-addresses").innerText()).toMatch(new RegExp(`^${address!.ip.replaceAll(".", "\\.")}\\s*dhcp$`));
    await page.getByRole("tab", { name: "Hardware" }).click();
    await expect.poll(async () => page.getByTestId("addresses-net0").innerText()).toMatch(new RegExp(`^${address!.ip.replaceAll(".", "\\.")}\\s*dhcp$`));
    await page.getByRole("heading", { name: "Network adapters" }).evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${ARTIFACTS}/vm-nics-running.png` });
    // The cable pulled while it runs: vmctld and the page say down.
    await page.getByRole("button", { name: "Pull the cable of net0" }).click();
    await expect.poll(async () => page.getByTestId("link-net0").innerText()).toContain("down");
    expect((await host.client.listNics("ui-ip-vm")).find((n) => n.id === "net0")?.link).toBe("down");
    expect((await host.cli(["stop", "ui-ip-vm", "--force"])).code).toBe(0);
    await page.context().close();
    await host.client.destroyVm("ui-ip-vm");
    await host.client.removeNetwork("ui-nics");
  });

  it("a VM's port forwards: added and removed on its Hardware tab", async () => {
    await host.client.createNetwork({ name: "ui-nat", kind: "nat", subnet: "10.232.13.0/24" });
    await host.client.createVm(guestDefinition("ui-pf-vm", { nics: { net0: { network: "ui-nat" } } }));
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    await page.goto(`https://127.0.0.1:${ui.port}/ui/vms/ui-pf-vm/hardware`);
    await page.getByText("None: add one to reach a port of the guest").waitFor();
    await page.getByRole("button", { name: "Add port forward" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Host port").fill("2222");
    await dialog.getByLabel("Host address (optional)").fill("127.0.0.1");
    await dialog.getByRole("button", { name: "Add port forward" }).click();
    await dialog.waitFor({ state: "detached" });
    const forwards = page.getByTestId("port-forwards");
    await expect.poll(async () => forwards.innerText()).toMatch(/127\.0\.0\.1:2222[\s\S]*TCP[\s\S]*10\.232\.13\.\d+:22[\s\S]*net0[\s\S]*ui-nat/);
    expect(await host.client.listPortForwards("ui-pf-vm")).toEqual([expect.objectContaining({ hostPort: 2222, guestPort: 22, protocol: "tcp", hostAddress: "127.0.0.1", nic: "net0" })]);
    await page.getByRole("heading", { name: "Network adapters" }).evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${ARTIFACTS}/vm-port-forwards.png` });
    await page.getByRole("button", { name: "Remove the forward of port 2222" }).click();
    await dialog.getByRole("button", { name: "Remove" }).click();
    await page.getByText("None: add one to reach a port of the guest").waitFor();
    expect(await host.client.listPortForwards("ui-pf-vm")).toEqual([]);
    await page.context().close();
    await host.client.destroyVm("ui-pf-vm");
    await host.client.removeNetwork("ui-nat");
  });

  it("the wizard creates a VM on a chosen network with cloud-init fields, says them in the review, and the definition carries them", async () => {
    await host.client.createNetwork({ name: "ui-wiz", kind: "isolated", subnet: WIZ });
    const page = await logIn(browser, ui, "admin", ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Create VM" }).click();
    await page.getByLabel("Name", { exact: true }).fill("ui-cloud");
    await page.getByLabel("Memory").fill("256MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Disk size").fill("64MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Network of net0").selectOption("ui-wiz");
    await page.screenshot({ path: `${ARTIFACTS}/wizard-network.png` });
    await page.getByLabel("Host name").fill("cloudy");
    await page.getByLabel("User name").fill("alice");
    // A private key pasted by mistake: vmctld refuses it, and the wizard shows why under the field.
    await page.getByLabel("SSH public key").fill("-----BEGIN OPENSSH PRIVATE KEY-----");
    await page.getByLabel("Password hash (optional)").fill(HASH);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    const keyGroup = page.locator(".pf-v6-c-form__group", { has: page.getByLabel("SSH public key") });
    await expect.poll(async () => keyGroup.innerText()).toMatch(/one line of a \.pub file/);
    expect(await keyGroup.innerText()).not.toContain("BEGIN OPENSSH PRIVATE KEY");
    await page.getByLabel("SSH public key").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/wizard-cloud-init-refused.png` });
    await expect(host.client.getVm("ui-cloud")).rejects.toMatchObject({ status: 404 });
    await page.getByLabel("SSH public key").fill(KEY);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-network-cloud-init.png` });
    await page.getByRole("button", { name: "Next" }).click();
    const review = page.getByTestId("wizard-review");
    await expect.poll(async () => review.innerText()).toMatch(/net0 on ui-wiz \(Isolated\)[\s\S]*host name cloudy; user alice who logs in with ssh-ed25519 key "alice@laptop", with a password \(hash given\), may sudo/);
    // The refusal was about the key sent before; fixed, it is gone.
    expect(await page.getByText("expected one line of a .pub file").count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-review.png` });
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^ui-cloud/ }).waitFor();

    const { definition } = await host.client.getVm("ui-cloud");
    expect(definition?.nics).toEqual({ net0: expect.objectContaining({ network: "ui-wiz", model: "virtio" }) });
    expect(definition?.cloud_init).toMatchObject({ hostname: "cloudy", users: [{ name: "alice", ssh_authorized_keys: [KEY], password_hash: HASH, sudo: true }] });
    await page.getByRole("tab", { name: "Hardware" }).click();
    await expect.poll(async () => page.getByTestId("nics").innerText()).toMatch(/net0[\s\S]*ui-wiz[\s\S]*Isolated/);
    // The VM's page says what its first boot gets, without the key's bytes.
    const cloud = page.getByTestId("cloud-init");
    await expect.poll(async () => cloud.innerText()).toMatch(/Host name[\s\S]*cloudy[\s\S]*User alice[\s\S]*ssh-ed25519 key "alice@laptop"; password set \(a hash\); may sudo/);
    expect(await cloud.innerText()).not.toContain("AAAAC3");
    await page.getByRole("heading", { name: "First boot (cloud-init)" }).evaluate((el) => el.scrollIntoView({ block: "center" }));
    await page.screenshot({ path: `${ARTIFACTS}/vm-cloud-init.png` });
    await page.context().close();
    await host.client.destroyVm("ui-cloud");
    await host.client.removeNetwork("ui-wiz");
  });
});
