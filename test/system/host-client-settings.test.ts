// The VM settings in Debian's Chromium against a real vmctld, qemu-img and the busybox guest: the
// Overview's Configuration card edits CPUs, memory, autostart with its order and delay, the boot
// order and the description and notes (each saved with If-Match, the inventory showing the new
// values); a running VM shows a change as pending until it restarts; Rename… and Delete… (with and
// without "Keep disk images", checked on disk); a ReadOnly user sees no edit buttons; every new
// dialog passes the accessibility sweep, and the delete dialog is walked with the keyboard alone.
import { describe, it, expect } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { TestHost, guestDefinition, ADMIN_PASSWORD, waitForState } from "./harness.js";
import { withBrowserHost, ARTIFACTS, logIn, unnamedControls, tabTo } from "./browser.js";

let host: TestHost;
let browser: Browser;
const ID = process.pid;
const STOPPED = `set-a-${ID}`;
const RUNNING = `set-run-${ID}`;
const GONE = `set-del-${ID}`;
const local = (path = "") => join(host.home, "datastores", "local", path);

withBrowserHost((h, b) => { host = h; browser = b; });

const card = (page: Page) => page.getByTestId("vm-settings");
const dialog = (page: Page) => page.getByRole("dialog");
const openVm = async (page: Page, name: string) => {
  await page.goto(`https://127.0.0.1:${host.port}/ui/vms/${name}`);
  await card(page).getByRole("heading", { name: "Configuration" }).waitFor();
};
/** Opens an edit dialog from the card, checks it names every control, fills it with `fill`, saves, and waits for it to close. */
const edit = async (page: Page, button: string, fill: () => Promise<void>, shot?: string) => {
  await card(page).getByRole("button", { name: button, exact: true }).click();
  await dialog(page).waitFor();
  expect(await unnamedControls(page), `${button} dialog`).toEqual([]);
  await fill();
  if (shot) await page.screenshot({ path: `${ARTIFACTS}/${shot}.png` });
  await dialog(page).getByRole("button", { name: "Save", exact: true }).click();
  // A dialog that stays open shows why (a refusal beside a field, "changed elsewhere"): fail with its words.
  await dialog(page).waitFor({ state: "detached", timeout: 30_000 }).catch(async (error: unknown) => {
    const words = await dialog(page).innerText().catch(() => "(no dialog)");
    await page.screenshot({ path: `${ARTIFACTS}/settings-dialog-stuck.png` }).catch(() => {});
    throw new Error(`the ${button} dialog did not close after Save: ${words}\n${(error as Error).message}`);
  });
};
const cell = (page: Page, vm: string, label: string) => page.locator(`tr[data-vm="${vm}"] td[data-label="${label}"]`);
const actions = async (page: Page, vm: string, item: string) => {
  await page.getByRole("button", { name: `More actions for ${vm}` }).click();
  await page.getByRole("menuitem", { name: new RegExp(`^${item.replace(/[.…]/g, "\\$&")}`) }).click();
  await dialog(page).waitFor();
};

describe("Host Client settings", () => {
  it("edits CPUs, memory, autostart, boot order, description and notes of a stopped VM; renames it; deletes it keeping its disk", async () => {
    await host.client.createVm({
      name: STOPPED, memory: "256MiB",
      disks: { disk0: { file: `${STOPPED}/disk0.qcow2`, size: "8MiB" } }, cdroms: { cdrom0: {} }, nics: { net0: {} },
    });
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await openVm(page, STOPPED);
    await page.screenshot({ path: `${ARTIFACTS}/settings-card.png`, fullPage: true });

    await edit(page, "Edit CPUs", async () => { await dialog(page).getByLabel("CPUs").fill("3"); }, "settings-edit-cpus");
    await expect.poll(() => card(page).getByTestId("settings-cpus").innerText()).toBe("3");
    await edit(page, "Edit memory", async () => {
      const field = dialog(page).getByLabel("Memory");
      expect(await field.inputValue()).toBe("256 MiB");
      await field.fill("lots");
      expect(await dialog(page).getByRole("button", { name: "Save", exact: true }).isDisabled()).toBe(true);
      await expect.poll(() => dialog(page).innerText()).toContain("A size with its unit");
      await field.fill("384 MiB");
    });
    await expect.poll(() => card(page).getByTestId("settings-memory").innerText()).toBe("384 MiB");
    expect(await card(page).getByTestId("pending-cpus").count()).toBe(0);

    await edit(page, "Edit autostart", async () => {
      await dialog(page).getByLabel("Start with the host").check();
      await dialog(page).getByLabel("Autostart order").fill("5");
      await dialog(page).getByLabel("Autostart delay").fill("10");
    });
    await expect.poll(() => card(page).getByTestId("settings-autostart").innerText()).toBe("with the host, order 5, then 10 s before the next");

    // The boot order: the CD first, then the NIC (network boot), the disk left out.
    await edit(page, "Edit boot order", async () => {
      const order = dialog(page).getByRole("list", { name: "Boot order" });
      expect(await order.getByRole("listitem").allInnerTexts()).toEqual([expect.stringContaining("disk0"), expect.stringContaining("cdrom0"), expect.stringContaining("net0")]);
      await dialog(page).getByRole("button", { name: "Move cdrom0 up" }).click();
      await dialog(page).getByLabel("Boot from net0").check();
      await dialog(page).getByLabel("Boot from disk0").uncheck();
      await expect.poll(() => dialog(page).getByTestId("boot-order-result").innerText()).toBe("Boots from: cdrom0, net0");
    }, "settings-boot-order");
    await expect.poll(() => card(page).getByTestId("settings-boot").innerText()).toBe("cdrom0, net0");

    await edit(page, "Edit description and notes", async () => {
      await dialog(page).getByLabel("Description").fill("build server");
      await dialog(page).getByLabel("Notes").fill("Owner: the build team.\nRebuilt from the template every Monday.");
    });
    await expect.poll(() => card(page).getByTestId("settings-description").innerText()).toBe("build server");
    expect(await card(page).getByTestId("settings-notes").innerText()).toBe("Owner: the build team.\nRebuilt from the template every Monday.");

    // What vmctld stored, and the inventory row.
    const def = (await host.client.getVm(STOPPED)).definition!;
    expect(def).toMatchObject({ cpus: 3, memory: "384MiB", description: "build server", notes: "Owner: the build team.\nRebuilt from the template every Monday.", boot: { order: ["cdrom0", "net0"] } });
    expect(def.policy).toMatchObject({ autostart: true, autostart_order: 5, autostart_delay: 10 });
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
    await expect.poll(() => cell(page, STOPPED, "CPUs").innerText()).toBe("3");
    expect(await cell(page, STOPPED, "Memory").innerText()).toBe("384 MiB");

    // A save over a definition changed elsewhere is refused with 412, said as such, and changes nothing.
    await openVm(page, STOPPED);
    await card(page).getByRole("button", { name: "Edit CPUs", exact: true }).click();
    await dialog(page).waitFor();
    const { etag } = await host.client.getDefinition(STOPPED);
    await host.client.patchVm(STOPPED, { cpus: 4 }, etag);
    await dialog(page).getByLabel("CPUs").fill("2");
    await dialog(page).getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(() => page.locator(".pf-v6-c-alert, .pf-v5-c-alert, [role=alert]").allInnerTexts().then((t) => t.join("\n"))).toContain("changed elsewhere");
    expect((await host.client.getVm(STOPPED)).definition!.cpus).toBe(4);
    await dialog(page).getByRole("button", { name: "Cancel" }).click();

    // Rename: the page moves to the new name, the folder on disk too.
    const renamed = `${STOPPED}-b`;
    await actions(page, STOPPED, "Rename…");
    expect(await unnamedControls(page), "rename dialog").toEqual([]);
    await dialog(page).getByLabel("New name").fill("Bad/Name");
    expect(await dialog(page).getByRole("button", { name: "Rename", exact: true }).isDisabled()).toBe(true);
    await dialog(page).getByLabel("New name").fill(renamed);
    await page.screenshot({ path: `${ARTIFACTS}/settings-rename.png` });
    await dialog(page).getByRole("button", { name: "Rename", exact: true }).click();
    await page.waitForURL(new RegExp(`/ui/vms/${renamed}$`));
    await card(page).getByRole("heading", { name: "Configuration" }).waitFor();
    expect(existsSync(local(STOPPED))).toBe(false);
    expect(readdirSync(local(renamed)).sort()).toEqual(["disk0.qcow2", `${renamed}.toml`]);

    // Delete, keeping the disk image: a wrong name keeps Delete disabled.
    await actions(page, renamed, "Delete…");
    expect(await dialog(page).getByRole("heading", { name: `Delete ${renamed}?` }).count()).toBe(1);
    expect(await unnamedControls(page), "delete dialog").toEqual([]);
    const del = dialog(page).getByRole("button", { name: "Delete", exact: true });
    expect(await del.isDisabled()).toBe(true);
    await dialog(page).getByLabel(`Type ${renamed} to confirm`).fill(STOPPED);
    expect(await del.isDisabled()).toBe(true);
    await dialog(page).getByLabel(`Type ${renamed} to confirm`).fill(renamed);
    await dialog(page).getByLabel("Keep disk images").check();
    await page.screenshot({ path: `${ARTIFACTS}/settings-delete-keep-disks.png` });
    await del.click();
    await page.waitForURL(/\/ui\/$/);
    // The VM list's page, not its table: with the last VM gone the page shows its empty state instead
    // (CI run 3 read the list after the delete landed; earlier runs caught the old list first).
    await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
    await expect.poll(() => page.locator(`tr[data-vm="${renamed}"]`).count()).toBe(0);
    expect(readdirSync(local(renamed))).toEqual(["disk0.qcow2"]);
    await page.context().close();
  }, 240_000);

  it("the keyboard alone deletes a VM with its disks", async () => {
    await host.client.createVm({ name: GONE, memory: "64MiB", disks: { disk0: { file: `${GONE}/disk0.qcow2`, size: "8MiB" } } });
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await openVm(page, GONE);
    await tabTo(page, `More actions for ${GONE}`);
    await page.keyboard.press("Enter");
    const item = page.getByRole("menuitem", { name: /^Delete…/ });
    await item.waitFor();
    for (let i = 0; i < 8 && !(await item.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))); i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await dialog(page).waitFor();
    // Focus starts in the confirmation field (once the dialog has placed it: typing earlier, on a
    // loaded machine, went nowhere and Delete stayed disabled).
    const confirm = dialog(page).getByLabel(`Type ${GONE} to confirm`);
    await expect.poll(() => confirm.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type(GONE);
    await tabTo(page, "Keep disk images", 10);
    expect(await dialog(page).getByLabel("Keep disk images").isChecked()).toBe(false);
    await tabTo(page, "Delete", 10);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/ui\/$/);
    await expect.poll(() => existsSync(local(GONE))).toBe(false);
    await expect(host.client.getVm(GONE)).rejects.toMatchObject({ status: 404 });
    await page.context().close();
  }, 120_000);

  it("a running VM shows CPU and memory changes as pending until it restarts, and cannot be deleted or renamed", async () => {
    await host.client.createVm(guestDefinition(RUNNING, { cpus: 1 }));
    const start = await host.client.power(RUNNING, { action: "start" });
    expect((await host.client.waitTask(start.id)).state).toBe("success");
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await openVm(page, RUNNING);
    await edit(page, "Edit CPUs", async () => {
      await expect.poll(() => dialog(page).innerText()).toContain("applies at its next start");
      await dialog(page).getByLabel("CPUs").fill("2");
    });
    await edit(page, "Edit memory", async () => { await dialog(page).getByLabel("Memory").fill("320 MiB"); });
    const cpus = card(page).getByTestId("pending-cpus");
    await expect.poll(() => cpus.innerText()).toBe("1 → 2 pending: applies at next start");
    await expect.poll(() => card(page).getByTestId("pending-memory").innerText()).toBe("256 MiB → 320 MiB pending: applies at next start");
    await page.screenshot({ path: `${ARTIFACTS}/settings-pending.png`, fullPage: true });

    // Delete and rename say why they wait.
    await actions(page, RUNNING, "Delete…");
    await expect.poll(() => dialog(page).getByTestId("delete-blocked").innerText()).toContain(`${RUNNING} is running`);
    expect(await dialog(page).getByRole("button", { name: "Delete", exact: true }).isDisabled()).toBe(true);
    expect(await unnamedControls(page), "delete dialog, running").toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/settings-delete-running.png` });
    await dialog(page).getByRole("button", { name: "Cancel" }).click();
    await actions(page, RUNNING, "Rename…");
    await expect.poll(() => dialog(page).getByTestId("rename-blocked").innerText()).toContain("renamed only while stopped");
    expect(await dialog(page).getByRole("button", { name: "Rename", exact: true }).isDisabled()).toBe(true);
    await dialog(page).getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("button", { name: `Power actions for ${RUNNING}` }).click();
    await page.getByRole("menuitem", { name: "Restart", exact: true }).click();
    const confirm = dialog(page).getByRole("button", { name: "Restart", exact: true });
    if (await confirm.count()) await confirm.click();
    await expect.poll(async () => (await host.client.getVm(RUNNING)).pendingChanges?.length ?? -1, { timeout: 150_000, intervals: [1000] }).toBe(0);
    await waitForState(host.client, RUNNING, "running", 120_000);
    await expect.poll(() => card(page).getByTestId("pending-cpus").count(), { timeout: 30_000 }).toBe(0);
    expect(await card(page).getByTestId("pending-memory").count()).toBe(0);
    expect(await card(page).getByTestId("settings-cpus").innerText()).toBe("2");
    await page.context().close();
    const stop = await host.client.power(RUNNING, { action: "stop", force: true });
    await host.client.waitTask(stop.id);
  }, 300_000);

  it("a ReadOnly user sees the configuration but no edit buttons, no Rename… or Delete…", async () => {
    await host.client.createUser("set-viewer", "viewer-password", "ReadOnly");
    const page = await logIn(browser, host, "set-viewer", "viewer-password");
    await openVm(page, RUNNING);
    await expect.poll(() => card(page).getByTestId("settings-cpus").innerText()).toBe("2");
    for (const button of ["Edit CPUs", "Edit memory", "Edit autostart", "Edit boot order", "Edit description and notes"]) {
      expect(await page.getByRole("button", { name: button }).count(), button).toBe(0);
    }
    const more = page.getByRole("button", { name: `More actions for ${RUNNING}` });
    if (await more.count()) {
      await more.click();
      expect(await page.getByRole("menuitem", { name: /^(Rename|Delete)…/ }).count()).toBe(0);
    }
    await page.context().close();
  }, 120_000);
});
