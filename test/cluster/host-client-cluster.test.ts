// The Host Client in cluster mode, in Chromium against a real vmcenter with three hosts (the demo:
// etcd, vmcenter, three vmctld, a shared datastore): the masthead names the cluster; the Hosts page
// lists the three hosts with their load and memory; the VM list has a Host column and a host
// filter; a VM migrates live with the picker (vmcenter's reasons in words, the recommended host
// chosen) and its Host changes; maintenance mode from the Hosts page drains a host. Every control has
// a name; nothing overflows at 1280×800 or 1920×1080. Screenshots in test-artifacts/cluster/.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newContext, unnamedControls } from "../system/browser.js";
import { clusterGuest, eventually, expectTaskSuccess, hostOfVm, useCluster } from "./cluster-harness.js";

const ARTIFACTS = "test-artifacts/cluster";
const MOVER = "ui-mover";
const STAYER = "ui-stayer";

describe("the Host Client in cluster mode", () => {
  const cluster = useCluster({ hosts: 3 });
  let browser: Browser;
  let password: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    const { demo, client } = cluster();
    password = (JSON.parse(readFileSync(join(demo.centers[0]!.home, "initial-admin.json"), "utf8")) as { password: string }).password;
    // Two running VMs on the shared datastore (so they move live), placed by vmcenter.
    for (const name of [MOVER, STAYER]) {
      await expectTaskSuccess(client, await client.cluster.createVm(clusterGuest(name), demo.sharedDatastore.name));
      await expectTaskSuccess(client, await client.power(name, { action: "start" }));
    }
  }, 240_000);
  afterAll(async () => { await browser?.close(); });

  async function logIn(viewport = { width: 1280, height: 800 }): Promise<Page> {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    await page.goto(`${cluster().demo.url}/ui/`);
    await page.getByLabel("User name").fill("admin");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
    return page;
  }

  /** Whether anything is wider than the page (the frame) or a table's box hides its row actions. */
  const overflow = (page: Page) => page.evaluate(() => {
    const wide = document.documentElement.scrollWidth > document.documentElement.clientWidth;
    const boxes = [...document.querySelectorAll(".vmctl-inventory-scroll")].filter((b) => b.scrollWidth > b.clientWidth + 1).length;
    return { wide, boxes };
  });

  it("names the cluster in the masthead and lists the three hosts with their load and memory", async () => {
    const { client } = cluster();
    const info = await client.cluster.info();
    for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
      const page = await logIn(viewport);
      await expect.poll(() => page.getByTestId("cluster-name").innerText()).toBe(`vmcenter — cluster ${info.clusterId}`);
      // vmcenter has Hosts in place of the one-host page, and no host's storage or networks pages.
      const nav = page.getByRole("navigation", { name: "Sections" });
      expect(await nav.getByRole("link", { name: "Host", exact: true }).count()).toBe(0);
      expect(await nav.getByRole("link", { name: "Storage" }).count()).toBe(0);
      await nav.getByRole("link", { name: "Hosts" }).click();
      await page.getByRole("heading", { name: "Hosts" }).waitFor();
      const rows = page.getByTestId("hosts").locator("tbody tr");
      await expect.poll(() => rows.count()).toBe(3);
      for (const host of cluster().demo.hosts) {
        const row = page.locator(`tr[data-host="${host.name}"]`);
        await expect.poll(() => row.getByTestId("host-state").innerText()).toBe("connected");
        expect(await row.getByTestId("host-load").innerText()).toMatch(/^\d+\.\d\d \(\d+ %\)$/);
        expect(await row.getByTestId("host-memory").innerText()).toMatch(/ of \d/);
        expect(await row.getByRole("progressbar").count()).toBe(1);
      }
      expect(await page.getByTestId("hosts-summary").innerText()).toMatch(/^3 hosts, 3 connected/);
      await page.screenshot({ path: `${ARTIFACTS}/hosts-${viewport.width}.png` });
      expect(await unnamedControls(page)).toEqual([]);
      expect(await overflow(page)).toEqual({ wide: false, boxes: 0 });
      await page.context().close();
    }
  });

  it("lists the VMs of every host with a Host column and a host filter", async () => {
    const { client } = cluster();
    for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
      const page = await logIn(viewport);
      const table = page.getByTestId("inventory");
      await expect.poll(() => table.locator("thead").innerText()).toContain("Host");
      for (const name of [MOVER, STAYER]) {
        const where = (await hostOfVm(client, name))!;
        await expect.poll(() => page.locator(`tr[data-vm="${name}"] [data-testid="vm-host"]`).innerText()).toBe(where.hostName);
      }
      await page.screenshot({ path: `${ARTIFACTS}/vms-${viewport.width}.png` });
      expect(await unnamedControls(page)).toEqual([]);
      expect(await overflow(page)).toEqual({ wide: false, boxes: 0 });
      // The host filter shows only that host's VMs.
      const mover = (await hostOfVm(client, MOVER))!;
      await page.getByLabel("Show VMs on host").selectOption({ label: `On ${mover.hostName}` });
      await expect.poll(async () => (await page.locator('[data-testid="vm-host"]').allInnerTexts()).every((h) => h === mover.hostName)).toBe(true);
      expect(await page.locator(`tr[data-vm="${MOVER}"]`).count()).toBe(1);
      await page.context().close();
    }
  });

  it("migrates a running VM live with the host picker, which explains placement; its Host changes", async () => {
    const { client } = cluster();
    const before = (await hostOfVm(client, MOVER))!;
    const placement = await client.cluster.placement(MOVER);
    expect(placement.chosen).not.toBeNull();
    const chosen = placement.hosts.find((h) => h.id === placement.chosen)!;
    const page = await logIn();
    await page.getByRole("button", { name: `Actions for ${MOVER}` }).click();
    await page.getByRole("menuitem", { name: "Migrate…" }).click();
    const dialog = page.getByRole("dialog", { name: `Migrate ${MOVER}` });
    await dialog.getByTestId("migrate-hosts").waitFor();
    // Every host is listed with its reasons; the recommended one is chosen, the current one cannot be.
    expect(await dialog.getByRole("radio").count()).toBeGreaterThanOrEqual(3 + 1);
    const recommended = dialog.getByTestId(`migrate-host-${chosen.name}`);
    expect(await recommended.isChecked()).toBe(true);
    expect(await dialog.getByTestId(`migrate-host-${before.hostName}`).isDisabled()).toBe(true);
    const words = await dialog.getByTestId("placement-reasons").allInnerTexts();
    expect(words.some((w) => w.endsWith("— recommended") && w.length > "— recommended".length + 3)).toBe(true);
    expect(words.some((w) => w.startsWith("runs here now"))).toBe(true);
    expect(await dialog.getByLabel("Live (keeps it running)").isChecked()).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/migrate-picker.png` });
    await dialog.getByRole("button", { name: "Migrate", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    // The task bar tells the migration; the row's Host becomes the chosen host.
    await expect.poll(() => page.getByTestId("task-bar").innerText(), { timeout: 60_000 }).toMatch(new RegExp(`Migrate ${MOVER}`));
    await expect.poll(() => page.locator(`tr[data-vm="${MOVER}"] [data-testid="vm-host"]`).innerText(), { timeout: 120_000 }).toBe(chosen.name);
    await page.screenshot({ path: `${ARTIFACTS}/migrated.png` });
    expect(await page.getByTestId("task-bar").innerText()).toMatch(new RegExp(`Migrate ${MOVER}.*succeeded|running`));
    // vmcenter's task says it moved live, with its downtime.
    const task = (await client.listTasks({ target: `vm/${MOVER}`, limit: 5 })).find((t) => t.op === "cluster.migrate")!;
    const ended = await client.cluster.waitTask(task.id);
    expect(ended.state, JSON.stringify(ended)).toBe("success");
    expect(ended.result, JSON.stringify(ended)).toMatchObject({ to: chosen.id, live: true });
    expect(await hostOfVm(client, MOVER)).toMatchObject({ host: chosen.id, state: "running" });
    // Its page says where it runs.
    await page.getByRole("link", { name: MOVER, exact: true }).click();
    await expect.poll(() => page.getByTestId("vm-page-host").innerText()).toBe(`on host ${chosen.name}`);
    await page.context().close();
  });

  it("an Operator sees hosts and VMs but no migrate or maintenance controls, and vmcenter refuses them to its session", async () => {
    const { client } = cluster();
    await client.call("POST", "/api/v1/users", { username: "ui-operator", password: "operator-password", role: "Operator" });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${cluster().demo.url}/ui/`);
    await page.getByLabel("User name").fill("ui-operator");
    await page.getByLabel("Password").fill("operator-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
    await page.getByRole("button", { name: `Actions for ${MOVER}` }).click();
    await page.getByRole("menuitem", { name: "Restart" }).waitFor();
    expect(await page.getByRole("menuitem", { name: "Migrate…" }).count()).toBe(0);
    await page.keyboard.press("Escape");
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Hosts" }).click();
    await expect.poll(() => page.getByTestId("hosts").locator("tbody tr").count()).toBe(3);
    expect(await page.getByRole("button", { name: /^Actions for host / }).count()).toBe(0);
    // The hidden controls are refused at vmcenter too: the session's own requests, with its CSRF token.
    const statuses = await page.evaluate(async ([vm, host]) => {
      const headers = { "content-type": "application/json", "x-csrf-token": sessionStorage.getItem("vmctl.csrf") ?? "" };
      const migrate = await fetch(`/api/v1/cluster/vms/${vm}/migrate`, { method: "POST", headers, body: "{}" });
      const maintenance = await fetch(`/api/v1/cluster/hosts/${host}/maintenance`, { method: "POST", headers, body: JSON.stringify({ enabled: true }) });
      return [migrate.status, maintenance.status];
    }, [MOVER, cluster().demo.hosts[0]!.id] as const);
    expect(statuses).toEqual([403, 403]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-hosts.png` });
    await context.close();
  });

  it("the create wizard says vmcenter places the VM, and the new VM's page names its host", async () => {
    const { client } = cluster();
    const page = await logIn();
    await page.getByRole("button", { name: "Create VM" }).click();
    await page.getByLabel("Name", { exact: true }).fill("ui-wizard");
    await page.getByLabel("Memory").fill("64MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Disk size").waitFor();
    // The hosts' datastores are offered (vmcenter has none of its own): the shared one lets it move live.
    await page.getByLabel("Datastore of the VM").selectOption(cluster().demo.sharedDatastore.name);
    await page.getByLabel("Disk size").fill("64MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Serial console").waitFor();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    await expect.poll(() => page.getByTestId("wizard-placement").innerText()).toMatch(/^Placed by vmcenter: the host with the most free memory/);
    expect(await page.getByTestId("wizard-review").innerText()).toContain(`on datastore ${cluster().demo.sharedDatastore.name}`);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-review.png` });
    await page.locator(".pf-v6-c-wizard__footer").getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^ui-wizard/ }).waitFor({ timeout: 60_000 });
    const where = (await hostOfVm(client, "ui-wizard"))!;
    expect((await client.cluster.vms()).find((v) => v.name === "ui-wizard")?.datastore).toBe(cluster().demo.sharedDatastore.name);
    await expect.poll(() => page.getByTestId("vm-page-host").innerText()).toBe(`on host ${where.hostName}`);
    await page.screenshot({ path: `${ARTIFACTS}/vm-page.png` });
    await page.context().close();
  });

  it("maintenance mode from the Hosts page drains a host: its running VMs move away live", async () => {
    const { client } = cluster();
    const drained = (await hostOfVm(client, STAYER))!;
    const page = await logIn();
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Hosts" }).click();
    const row = page.locator(`tr[data-host="${drained.hostName}"]`);
    await row.getByRole("button", { name: `Actions for host ${drained.hostName}` }).click();
    await page.getByRole("menuitem", { name: /Enter maintenance mode/ }).click();
    const dialog = page.getByRole("dialog", { name: `Put ${drained.hostName} in maintenance mode?` });
    expect(await dialog.getByTestId("maintenance-words").innerText()).toMatch(/will be live-migrated to other hosts/);
    await page.screenshot({ path: `${ARTIFACTS}/maintenance-confirm.png` });
    await dialog.getByRole("button", { name: "Enter maintenance mode" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => page.getByTestId("task-bar").innerText(), { timeout: 60_000 }).toMatch(new RegExp(`Maintenance mode host ${drained.hostName}`));
    await expect.poll(() => row.getByTestId("host-maintenance").innerText(), { timeout: 180_000 }).toBe("in maintenance");
    await eventually(async () => (await hostOfVm(client, STAYER))?.host !== drained.host, 120_000, () => `${STAYER} is still on ${drained.hostName}`);
    await expect.poll(() => row.getByTestId("host-vms").innerText(), { timeout: 30_000 }).toMatch(/^(none|0 running of \d+)$/);
    const moved = (await hostOfVm(client, STAYER))!;
    expect(moved.state).toBe("running");
    await page.screenshot({ path: `${ARTIFACTS}/maintenance-drained.png` });
    // The VM list shows where it went.
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
    await expect.poll(() => page.locator(`tr[data-vm="${STAYER}"] [data-testid="vm-host"]`).innerText()).toBe(moved.hostName);
    // And back in service.
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Hosts" }).click();
    await row.getByRole("button", { name: `Actions for host ${drained.hostName}` }).click();
    await page.getByRole("menuitem", { name: /Exit maintenance mode/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Exit maintenance mode" }).click();
    await expect.poll(() => row.getByTestId("host-maintenance").innerText(), { timeout: 120_000 }).toBe("no");
    await page.context().close();
  });
});
