// The Host Client's calmer frame (issue 13) in Chromium against a real vmctld and the demo guest: the
// one-line task bar (opens on demand, a VM's own tasks on its page), the inventory row's actions menu
// (console, restart, snapshot, clone, delete), the optional columns (remembered across a reload) and a
// bulk start that counts a VM already running as done.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { TestHost, ConsoleReader, guestDefinition, ADMIN_PASSWORD, GUEST_READY_LINE } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn, unnamedControls, tabTo } from "./browser.js";

let host: TestHost;
let browser: Browser;
const MiB = 1024 * 1024;
const WEB = "fr-web"; // a 64 MiB disk and a description; runs
const DB = "fr-db"; // a raw disk declared without a size (3 MiB file); stays stopped, is cloned
const BARE = "fr-bare"; // no disk; started by the bulk action

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  host = await TestHost.start();
  browser = await launchChromium();
  const local = (await host.client.datastores()).datastores.find((d) => d.name === "local")!;
  mkdirSync(join(local.path, "fr-files"), { recursive: true });
  writeFileSync(join(local.path, "fr-files", "db.raw"), Buffer.alloc(3 * MiB));
  await host.client.createVm(guestDefinition(WEB, { description: "Frame test web server", disks: { disk0: { size: "64MiB" } }, policy: { stop_timeout: 20 } }));
  await host.client.createVm(guestDefinition(DB, { disks: { disk0: { file: "fr-files/db.raw", format: "raw" } } }));
  await host.client.createVm(guestDefinition(BARE));
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
});

const row = (page: Page, vm: string) => page.locator(`tr[data-vm="${vm}"]`);
const stateOf = (page: Page, vm: string) => row(page, vm).locator('[data-testid="state"]');
const taskToggle = (page: Page) => page.getByRole("button", { name: /^Tasks/ });
async function rowAction(page: Page, vm: string, item: string): Promise<void> {
  await page.getByRole("button", { name: `Actions for ${vm}` }).click();
  await page.getByRole("menuitem", { name: item }).click();
}

describe("Host Client frame", () => {
  it("GET /vms gives each VM's description and disk size (provisioned, or the file's where none is declared)", async () => {
    const vms = new Map((await host.client.listVms()).map((vm) => [vm.name, vm]));
    expect(vms.get(WEB)).toMatchObject({ description: "Frame test web server", diskBytes: 64 * MiB });
    expect(vms.get(DB)?.diskBytes).toBe(3 * MiB);
    expect(vms.get(DB)?.description).toBeUndefined();
    expect(vms.get(BARE)?.diskBytes).toBe(0);
  });

  it("task bar, row actions, columns and a bulk start that says what happened", async () => {
    expect((await host.cli(["start", WEB])).code).toBe(0);
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await expect.poll(async () => stateOf(page, WEB).textContent(), { timeout: 30_000 }).toBe("running");

    // The task bar: one line, closed; in words; opens to the table and closes again.
    const bar = page.getByRole("region", { name: "Recent tasks" });
    const toggle = taskToggle(page);
    await expect.poll(async () => toggle.innerText(), { timeout: 20_000 }).toMatch(new RegExp(`^Tasks: last: Start ${WEB} by .+ succeeded (just now|\\d+ s ago|\\d+ min ago)$`));
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    // Named "Tasks", the status its description: its name never answers for another button's.
    expect(await page.getByRole("button", { name: `Start ${WEB}` }).count()).toBe(0);
    expect((await bar.boundingBox())!.height).toBeLessThan(48);
    expect(await page.getByTestId("tasks").count()).toBe(0);
    await toggle.click();
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    await expect.poll(async () => page.getByTestId("tasks").innerText()).toMatch(new RegExp(`Start\\s+${WEB}[\\s\\S]*succeeded`));
    await page.screenshot({ path: `${ARTIFACTS}/frame-task-bar-open.png` });
    await toggle.click();
    await page.getByTestId("tasks").waitFor({ state: "hidden" });
    await page.screenshot({ path: `${ARTIFACTS}/frame-inventory.png` });

    // Optional columns: off but IP addresses; turned on, they show the summary's values and survive a reload.
    await expect(row(page, WEB).locator('[data-testid="disk-size"]').count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Columns" }).click();
    for (const column of ["Disk size", "Datastore", "Description"]) {
      const box = page.getByRole("checkbox", { name: column });
      expect(await box.isChecked()).toBe(false);
      await box.check();
    }
    expect(await page.getByRole("checkbox", { name: "IP addresses" }).isChecked()).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/frame-columns-menu.png` });
    await page.keyboard.press("Escape");
    const cells = async () => ({
      web: await row(page, WEB).locator('[data-testid="disk-size"], [data-testid="datastore"], [data-testid="description"]').allInnerTexts(),
      db: await row(page, DB).locator('[data-testid="disk-size"], [data-testid="datastore"], [data-testid="description"]').allInnerTexts(),
      bare: await row(page, BARE).locator('[data-testid="disk-size"]').innerText(),
    });
    const expected = { web: ["64 MiB", "local", "Frame test web server"], db: ["3 MiB", "local", ""], bare: "none" };
    expect(await cells()).toEqual(expected);
    await page.getByRole("button", { name: "Columns" }).click();
    await page.getByRole("checkbox", { name: "IP addresses" }).uncheck();
    await page.keyboard.press("Escape");
    await expect(row(page, WEB).locator('[data-testid="addresses"]').count()).resolves.toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/frame-columns.png` });
    await page.goto(page.url());
    await expect.poll(async () => row(page, WEB).count(), { timeout: 30_000 }).toBe(1);
    expect(await cells()).toEqual(expected);
    await expect(row(page, WEB).locator('[data-testid="addresses"]').count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Columns" }).click();
    await page.getByRole("checkbox", { name: "IP addresses" }).check();
    await page.keyboard.press("Escape");

    // Bulk start of one running and one stopped VM: the running one counts as done, not failed.
    await row(page, WEB).getByRole("checkbox").check();
    await row(page, BARE).getByRole("checkbox").check();
    await page.getByRole("button", { name: "Start 2 selected" }).click();
    await expect.poll(async () => page.getByTestId("bulk-result").innerText(), { timeout: 60_000 }).toContain("Started 1 VM; 1 was already running");
    await expect.poll(async () => stateOf(page, BARE).textContent()).toBe("running");
    await page.screenshot({ path: `${ARTIFACTS}/frame-bulk-start.png` });

    // Row actions. Every control is named with the menu open.
    await page.getByRole("button", { name: `Actions for ${WEB}` }).click();
    for (const item of ["Open console", "Restart", "Take snapshot…", "Clone…", "Delete…"]) await page.getByRole("menuitem", { name: item }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/frame-row-actions.png` });
    await page.keyboard.press("Escape");

    // Restart: a graceful stop needs a booted guest that hears the power button.
    const reader = await ConsoleReader.open(host.client, WEB);
    await reader.waitFor(GUEST_READY_LINE);
    reader.close();
    const before = (await host.client.getVm(WEB)).startedAt;
    await rowAction(page, WEB, "Restart");
    await expect.poll(async () => {
      const vm = await host.client.getVm(WEB);
      return vm.state === "running" && vm.startedAt !== before;
    }, { timeout: 90_000 }).toBe(true);
    await expect.poll(async () => (await host.client.listTasks({ target: `vm/${WEB}` })).find((t) => t.op === "vm.restart")?.state, { timeout: 30_000 }).toBe("success");

    // Take snapshot… opens the Snapshots tab's dialog.
    await expect.poll(async () => stateOf(page, WEB).textContent(), { timeout: 30_000 }).toBe("running");
    await rowAction(page, WEB, "Take snapshot…");
    await page.screenshot({ path: `${ARTIFACTS}/frame-row-snapshot.png` });
    const snapDialog = page.getByRole("dialog");
    await snapDialog.getByText(`Take a snapshot of ${WEB}`).waitFor();
    await snapDialog.getByLabel("Name").fill("fr-snap");
    await snapDialog.getByLabel("Include the VM's memory").uncheck();
    await snapDialog.getByRole("button", { name: "Take snapshot" }).click();
    await expect.poll(async () => (await host.client.listSnapshots(WEB)).snapshots.map((s) => s.name), { timeout: 60_000 }).toContain("fr-snap");

    // Clone… opens the clone dialog for that VM.
    await rowAction(page, DB, "Clone…");
    const cloneDialog = page.getByRole("dialog");
    await cloneDialog.getByText(`Clone ${DB}`).first().waitFor();
    await cloneDialog.getByLabel("Name of the new VM").fill("fr-db-copy");
    await cloneDialog.getByRole("button", { name: "Clone" }).click();
    await row(page, "fr-db-copy").waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await host.client.listTasks({ target: `vm/${DB}` })).concat(await host.client.listTasks({ target: "vm/fr-db-copy" })).some((t) => t.op === "vm.clone" && t.state === "success"), { timeout: 60_000 }).toBe(true);

    // Delete… opens the delete dialog: Delete stays disabled until the name is typed; then the VM goes.
    await rowAction(page, "fr-db-copy", "Delete…");
    const del = page.getByRole("dialog");
    await del.getByText("Delete fr-db-copy?").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    expect(await del.getByRole("button", { name: "Delete", exact: true }).isDisabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/frame-row-delete.png` });
    await del.getByLabel("Type fr-db-copy to confirm").fill("fr-db-copy");
    await del.getByRole("button", { name: "Delete", exact: true }).click();
    await row(page, "fr-db-copy").waitFor({ state: "detached", timeout: 60_000 });
    expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain("fr-db-copy");

    // The keyboard reaches a row's menu and opens it; Open console goes to the Console tab.
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.getByRole("heading", { name: "Virtual machines" }).click();
    await tabTo(page, `Actions for ${WEB}`, 120);
    await page.keyboard.press("Enter");
    await page.getByRole("menuitem", { name: "Open console" }).waitFor();
    await page.getByRole("menuitem", { name: "Open console" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/ui/vms/${WEB}/console$`));
    await expect.poll(async () => page.getByRole("tab", { name: "Console", exact: true }).getAttribute("aria-selected")).toBe("true");

    // On the VM's page the bar tells of that VM's tasks only: its restart and snapshot, not fr-bare's start.
    const vmBar = taskToggle(page);
    await expect.poll(async () => vmBar.innerText(), { timeout: 20_000 }).toMatch(new RegExp(`^Tasks of ${WEB}: last: Take snapshot by admin succeeded`));
    expect((await page.getByRole("region", { name: `Recent tasks of ${WEB}` }).boundingBox())!.height).toBeLessThan(48);
    await vmBar.click();
    const vmTasks = page.getByTestId("tasks");
    await expect.poll(async () => vmTasks.innerText()).toMatch(/Take snapshot[\s\S]*Restart[\s\S]*Start/);
    const mine = (await host.client.listTasks({ target: `vm/${WEB}`, limit: 8 })).length;
    expect(await vmTasks.locator("tbody").count()).toBe(mine);
    await page.screenshot({ path: `${ARTIFACTS}/frame-vm-task-bar.png` });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
    await row(page, WEB).waitFor();
    // Off the VM's page the bar (left open) lists every VM's tasks again; the bulk start reads as a Start.
    expect(await taskToggle(page).getAttribute("aria-expanded")).toBe("true");
    await expect.poll(async () => page.getByTestId("tasks").innerText()).toMatch(new RegExp(`Start\\s+${BARE}`));
    await page.screenshot({ path: `${ARTIFACTS}/frame-inventory-1920.png` });
    await page.context().close();
  });

  it("a bulk start that fails on one VM names it and its reason, and counts the rest", async () => {
    await host.client.createVm(guestDefinition("fr-bad"));
    const file = (await host.client.getVm("fr-bad")).definitionPath;
    writeFileSync(file, `cpus = 0\n${readFileSync(file, "utf8")}`);
    await expect.poll(async () => (await host.client.listVms()).find((v) => v.name === "fr-bad")?.definitionError, { timeout: 10_000 }).toBeTruthy();
    const there = await host.client.desiredState(BARE, "running");
    if (there.changed) await host.client.waitTask(there.task.id);
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await row(page, "fr-bad").getByRole("checkbox").check();
    await row(page, BARE).getByRole("checkbox").check();
    await page.getByRole("button", { name: "Start 2 selected" }).click();
    const result = page.getByTestId("bulk-result");
    await expect.poll(async () => result.innerText(), { timeout: 60_000 }).toMatch(/Could not start 1 of 2 VMs: fr-bad: fr-bad\/fr-bad.toml:1: cpus: is 0/);
    expect(await result.innerText()).toContain("1 was already running.");
    await page.screenshot({ path: `${ARTIFACTS}/frame-bulk-failed.png` });
    expect((await host.client.getVm("fr-bad")).state).toBe("stopped");
    await page.context().close();
  });

  it("a ReadOnly user gets only Open console in a row's menu, no selection for bulk actions, and a description is shown as text", async () => {
    await host.client.call("POST", "/api/v1/users", { username: "fr-viewer", password: "fr-viewer-password", role: "ReadOnly" });
    await host.client.patchVm(DB, { description: '<img src=x onerror="document.title=\'owned\'"> db' });
    const page = await logIn(browser, host, "fr-viewer", "fr-viewer-password");
    await row(page, DB).waitFor();
    expect(await page.getByRole("checkbox", { name: `Select ${DB}` }).count()).toBe(0);
    await page.getByRole("button", { name: `Actions for ${DB}` }).click();
    expect(await page.getByRole("menuitem").allInnerTexts()).toEqual(["Open console"]);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Columns" }).click();
    await page.getByRole("checkbox", { name: "Description" }).check();
    await page.keyboard.press("Escape");
    await expect.poll(async () => row(page, DB).locator('[data-testid="description"]').innerText()).toBe('<img src=x onerror="document.title=\'owned\'"> db');
    expect(await row(page, DB).locator("img[src=x]").count()).toBe(0);
    expect(await page.title()).not.toBe("owned");
    await page.context().close();
  });
});
