// The Host Client's storage in Debian's Chromium (playwright-core) against a real vmctld: ISOs
// uploaded (and resumed) on the Storage page, a VM's disks, CD media and snapshots, clone,
// template, deploy, export and import.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { TestHost, ADMIN_PASSWORD } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn as logInAs, unnamedControls, tabTo } from "./browser.js";
let host: TestHost;
let browser: Browser;
let files: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  files = mkdtempSync(join(tmpdir(), "vmctl-ui-files-"));
  host = await TestHost.start();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});





/** A file of random bytes named like an ISO, and its SHA-256. */
function makeFile(name: string, bytes: number): { path: string; sha256: string; data: Buffer } {
  const data = randomBytes(bytes);
  const path = join(files, name);
  writeFileSync(path, data);
  return { path, sha256: createHash("sha256").update(data).digest("hex"), data };
}

/** Sends the first part of an upload over the unix socket, as a client that lost its connection would have. */
function putPart(path: string, part: Buffer, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: join(host.home, "vmctld.sock"), method: "PUT", path,
      headers: { "content-type": "application/octet-stream", "content-length": part.length, "content-range": `bytes 0-${part.length - 1}/${total}` },
    }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
    req.on("error", reject);
    req.end(part);
  });
}

const logIn = () => logInAs(browser, host, "admin", ADMIN_PASSWORD, { acceptDownloads: true });

const uploadRow = (page: Page, at: string) => page.locator(`[data-upload="${at}"]`);
const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name }).click();

/** The snapshot under which the tree shows "You are here" (null: at the top). */
const hereUnder = (page: Page) => page.evaluate(() => {
  const here = document.querySelector('[data-testid="you-are-here"]')?.closest('li[role="treeitem"]');
  const parent = here?.parentElement?.closest('li[role="treeitem"]');
  return parent?.querySelector(".vmctl-snapshot__name")?.textContent ?? null;
});

describe("Host Client storage", () => {
  it("uploads ISOs on the Storage page, resumes an interrupted and an earlier upload, and lists them with checksums", async () => {
    const installer = makeFile("tiny-installer.iso", 24 * 1024 * 1024);
    const tools = makeFile("tools.iso", 12 * 1024 * 1024);
    const page = await logIn();
    await nav(page, "Storage");
    await page.getByRole("heading", { name: "Storage" }).waitFor();
    await expect.poll(async () => page.getByTestId("datastores").innerText()).toMatch(/local[\s\S]*default[\s\S]*images[\s\S]*vmctld\.toml/);
    await page.screenshot({ path: `${ARTIFACTS}/storage-datastores.png` });

    await page.getByRole("tab", { name: "ISO library" }).click();
    await page.getByText("No ISO images yet").waitFor();
    await page.getByLabel("Upload to").selectOption({ label: "local/iso" });

    // The connection breaks: the upload says so and resumes from what vmctld kept.
    const target = (url: URL) => url.pathname === "/api/v1/datastores/local/files/iso/tiny-installer.iso";
    await page.route(target, (route) => (route.request().method() === "PUT" ? route.abort("connectionreset") : route.fallback()));
    await page.getByLabel("ISO image to upload").setInputFiles(installer.path);
    await expect.poll(async () => uploadRow(page, "local/iso/tiny-installer.iso").getAttribute("data-phase")).toBe("interrupted");
    expect(await uploadRow(page, "local/iso/tiny-installer.iso").innerText()).toContain("Interrupted");
    await page.unroute(target);
    await page.getByRole("button", { name: "Resume tiny-installer.iso" }).click();
    await expect.poll(async () => uploadRow(page, "local/iso/tiny-installer.iso").getAttribute("data-phase"), { timeout: 30_000 }).toBe("done");

    // Half of tools.iso arrived earlier (another session): choosing the file again continues it.
    expect(await putPart("/api/v1/datastores/local/files/iso/tools.iso", tools.data.subarray(0, 5 * 1024 * 1024), tools.data.length)).toBe(200);
    await page.getByLabel("ISO image to upload").setInputFiles(tools.path);
    await expect.poll(async () => uploadRow(page, "local/iso/tools.iso").getAttribute("data-phase")).toBe("partial");
    expect(await uploadRow(page, "local/iso/tools.iso").innerText()).toContain("stopped at 5 MiB of 12 MiB");
    await page.getByRole("button", { name: "Continue tools.iso" }).click();
    await expect.poll(async () => uploadRow(page, "local/iso/tools.iso").getAttribute("data-phase"), { timeout: 30_000 }).toBe("done");

    // The library lists both, and its checksums say the bytes arrived whole.
    const library = page.getByTestId("iso-library");
    await expect.poll(async () => library.locator(`tr[data-iso="tiny-installer.iso"] [data-testid="checksum"]`).getAttribute("data-sha256"), { timeout: 30_000 }).toBe(installer.sha256);
    await expect.poll(async () => library.locator(`tr[data-iso="tools.iso"] [data-testid="checksum"]`).getAttribute("data-sha256"), { timeout: 30_000 }).toBe(tools.sha256);
    expect(await library.innerText()).toMatch(/tiny-installer\.iso[\s\S]*local[\s\S]*24 MiB/);
    await page.getByRole("button", { name: "Dismiss tools.iso" }).click();
    await page.screenshot({ path: `${ARTIFACTS}/storage-isos.png` });

    // The browser: into iso/, a new folder, and deleting it after a confirmation.
    await page.getByRole("tab", { name: "Datastore browser" }).click();
    await page.getByLabel("Datastore", { exact: true }).selectOption("local");
    await page.getByTestId("browser").getByRole("link", { name: "iso" }).click();
    await expect.poll(async () => page.getByTestId("browser").innerText()).toMatch(/tiny-installer\.iso[\s\S]*24 MiB[\s\S]*tools\.iso/);
    expect(page.url()).toContain("/ui/storage/browse/local/iso");
    await page.getByRole("button", { name: "New folder" }).click();
    await page.getByLabel("Folder name").fill("old-releases");
    await page.getByRole("button", { name: "Make folder" }).click();
    await page.locator('tr[data-entry="old-releases"]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/storage-browser.png` });
    await page.getByRole("button", { name: "Delete old-releases" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.locator('tr[data-entry="old-releases"]').waitFor({ state: "detached" });
    // A deep link opens the same folder.
    await page.goto(`https://127.0.0.1:${host.port}/ui/storage/browse/local/iso`);
    await page.locator('tr[data-entry="tools.iso"]').waitFor();
    await page.context().close();
  });

  it("a stopped VM: disks and CD media in the Hardware tab, snapshots taken and reverted, cloned, made a template, deployed, exported and imported", async () => {
    const page = await logIn();
    // The wizard picks the ISO from the library; the VM stays stopped.
    await page.getByRole("button", { name: "Create VM" }).click();
    await page.getByLabel("Name", { exact: true }).fill("ui-store");
    await page.getByLabel("Memory").fill("256MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Disk size").fill("64MiB");
    await page.getByLabel("An ISO image from the ISO library").check();
    await page.getByLabel("ISO image", { exact: true }).selectOption({ label: "tiny-installer.iso (24 MiB)" });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^ui-store/ }).waitFor();

    // Hardware: a second disk, the ISO ejected and inserted again.
    await page.getByRole("tab", { name: "Hardware" }).click();
    const disks = page.getByTestId("disks");
    await expect.poll(async () => disks.innerText()).toMatch(/disk0[\s\S]*virtio[\s\S]*qcow2[\s\S]*64 MiB/);
    await page.getByRole("button", { name: "Add disk" }).click();
    await page.getByLabel("Size").fill("32MiB");
    await page.getByRole("dialog").getByRole("button", { name: "Add disk" }).click();
    await expect.poll(async () => disks.innerText()).toMatch(/disk1[\s\S]*ui-store\/disk1\.qcow2[\s\S]*32 MiB/);
    const cdroms = page.getByTestId("cdroms");
    await expect.poll(async () => cdroms.innerText()).toContain("iso/tiny-installer.iso");
    await page.getByRole("button", { name: "Eject cdrom0" }).click();
    await expect.poll(async () => cdroms.innerText()).toContain("empty drive");
    await page.getByRole("button", { name: "Insert an ISO into cdrom0" }).click();
    await page.getByRole("dialog").getByLabel("ISO image").selectOption({ label: "tools.iso (12 MiB)" });
    await page.getByRole("dialog").getByRole("button", { name: "Insert" }).click();
    await expect.poll(async () => cdroms.innerText()).toContain("iso/tools.iso");
    await page.getByRole("button", { name: "Grow disk1" }).click();
    await page.getByLabel("New size").fill("48MiB");
    await page.getByRole("button", { name: "Grow disk" }).click();
    await expect.poll(async () => disks.innerText()).toMatch(/disk1[\s\S]*48 MiB/);
    await page.getByTestId("hardware").getByRole("heading", { name: "Disks" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/vm-hardware-storage.png` });

    // Snapshots: two taken, each becomes current; a revert to the first moves "You are here" back.
    await page.getByRole("tab", { name: "Snapshots" }).click();
    await page.getByText("No snapshots yet").waitFor();
    await page.getByRole("button", { name: "Take snapshot" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill("clean-install");
    await page.getByLabel("Description").fill("Debian installed, nothing else");
    await page.getByRole("dialog").getByRole("button", { name: "Take snapshot" }).click();
    await expect.poll(() => hereUnder(page), { timeout: 30_000 }).toBe("clean-install");
    expect(await page.locator('[data-snapshot="clean-install"]').innerText()).toContain("current");
    // Something changes after it (the ISO ejected), and a second snapshot keeps that.
    await page.getByRole("tab", { name: "Hardware" }).click();
    await page.getByRole("button", { name: "Eject cdrom0" }).click();
    await expect.poll(async () => page.getByTestId("cdroms").innerText()).toContain("empty drive");
    await page.getByRole("tab", { name: "Snapshots" }).click();
    await page.getByRole("button", { name: "Take snapshot" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill("ejected");
    await page.getByRole("dialog").getByRole("button", { name: "Take snapshot" }).click();
    await expect.poll(() => hereUnder(page), { timeout: 30_000 }).toBe("ejected");
    await page.locator('[data-snapshot="clean-install"]').click();
    await expect.poll(async () => page.getByTestId("snapshot-details").innerText()).toContain("Debian installed, nothing else");
    await page.getByRole("button", { name: "Revert to snapshot" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revert" }).click();
    await expect.poll(() => hereUnder(page), { timeout: 30_000 }).toBe("clean-install");
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${ARTIFACTS}/vm-snapshots.png` });
    // The revert brought the hardware back as it was then: tools.iso in the drive again.
    await page.getByRole("tab", { name: "Hardware" }).click();
    await expect.poll(async () => page.getByTestId("cdroms").innerText()).toContain("iso/tools.iso");

    // Clone (a full copy), then make the copy a template: no power buttons, and the inventory marks it.
    await page.getByRole("button", { name: "More actions for ui-store" }).click();
    await page.getByRole("menuitem", { name: /^Clone/ }).click();
    await page.getByLabel("Name of the new VM").fill("ui-base");
    const cloneDialog = page.getByRole("dialog");
    await cloneDialog.getByRole("button", { name: "Clone" }).click();
    // The dialog closes once vmctld has taken the clone; a refusal stays in it, and this says which.
    await expect.poll(async () => ((await cloneDialog.count()) === 0 ? "closed" : await cloneDialog.innerText()), { timeout: 60_000 }).toBe("closed");
    // The copy is a task: its end (and, should it fail, why) is read from vmctld, not guessed from the page.
    const cloneTask = (await host.client.listTasks({ target: "vm/ui-store", limit: 20 })).find((t) => t.op === "vm.clone");
    expect(cloneTask, "a clone task of ui-store").toBeDefined();
    const cloned = await host.client.getTask(cloneTask!.id, 60);
    expect({ state: cloned.state, error: cloned.error?.message, log: cloned.log.slice(-3) }).toMatchObject({ state: "success" });
    await nav(page, "Virtual machines");
    await page.locator('tr[data-vm="ui-base"]').waitFor({ timeout: 60_000 });
    await page.getByRole("link", { name: "ui-base", exact: true }).click();
    await page.getByRole("button", { name: "Start", exact: true }).waitFor();
    await page.getByRole("button", { name: "More actions for ui-base" }).click();
    await page.getByRole("menuitem", { name: /^Mark as template/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Mark as template" }).click();
    await page.getByTestId("vm-template").waitFor();
    expect(await page.getByRole("button", { name: "Start", exact: true }).count()).toBe(0);
    await nav(page, "Virtual machines");
    await expect.poll(async () => page.locator('tr[data-vm="ui-base"]').innerText()).toContain("template");
    expect(await page.getByRole("button", { name: "Start ui-base" }).count()).toBe(0);

    // Deploy a linked clone from the template.
    await page.getByRole("button", { name: "Deploy a VM from ui-base" }).click();
    expect(await page.getByLabel("Linked clone").isChecked()).toBe(true);
    await page.getByRole("dialog").getByRole("button", { name: "Deploy" }).click();
    await page.locator('tr[data-vm="ui-base-1"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${ARTIFACTS}/inventory-templates.png` });

    // Export ui-store as an OVA (a download), then import it back by upload.
    await page.getByRole("link", { name: "ui-store", exact: true }).click();
    await page.getByRole("button", { name: "More actions for ui-store" }).click();
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 60_000 }), page.getByRole("menuitem", { name: /^Export OVA/ }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.ova$/);
    const ova = join(files, download.suggestedFilename());
    await download.saveAs(ova);
    await nav(page, "Virtual machines");
    await page.getByRole("button", { name: "Import VM" }).click();
    await page.getByLabel("OVA file to import").setInputFiles(ova);
    await page.getByRole("dialog").getByLabel("Name", { exact: true }).fill("ui-imported");
    await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
    await page.locator('tr[data-vm="ui-imported"]').waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: /^Tasks/ }).click();
    await expect.poll(async () => page.getByTestId("tasks").innerText(), { timeout: 30_000 }).toMatch(/Import[\s\S]*succeeded/);
    await page.context().close();
  });

  it("every control on the storage pages, the new tabs and dialogs has an accessible name, and the keyboard reaches them", async () => {
    const page = await logIn();
    const offenders: Record<string, string[]> = {};
    const check = async (where: string) => {
      await page.waitForLoadState("networkidle");
      await page.getByTestId("loading").first().waitFor({ state: "detached" });
      const found = await unnamedControls(page);
      if (found.length) offenders[where] = found;
    };
    await check("inventory with templates");
    for (const [button, where] of [["Import VM", "import dialog"], ["Deploy from template", "deploy dialog"]] as const) {
      await page.getByRole("button", { name: button }).click();
      await page.getByRole("dialog").waitFor();
      await check(where);
      await page.keyboard.press("Escape");
    }
    await nav(page, "Storage");
    for (const tab of ["Datastores", "Datastore browser", "ISO library"]) {
      await page.getByRole("tab", { name: tab }).click();
      await check(`Storage, ${tab}`);
    }
    await page.getByRole("tab", { name: "Datastores" }).click();
    await page.getByRole("button", { name: "Add datastore" }).click();
    await check("add datastore dialog");
    await page.keyboard.press("Escape");

    await page.goto(`https://127.0.0.1:${host.port}/ui/vms/ui-store/hardware`);
    await page.getByTestId("disks").waitFor();
    await check("VM page, Hardware");
    await page.getByRole("button", { name: "Add disk" }).click();
    await page.getByLabel("An existing image in a datastore").check();
    await check("add disk dialog");
    await page.keyboard.press("Escape");
    await page.getByRole("tab", { name: "Snapshots" }).click();
    await page.getByTestId("snapshot-tree").waitFor();
    await check("VM page, Snapshots");
    await page.getByRole("button", { name: "More actions for ui-store" }).click();
    await check("VM actions menu");
    await page.keyboard.press("Escape");

    // From the keyboard: the Snapshots tab's first action, and its dialog opens with the name focused.
    await page.getByRole("tab", { name: "Snapshots" }).focus();
    await tabTo(page, "Take snapshot");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("snapshot-name");
    await check("take snapshot dialog");
    await page.keyboard.press("Escape");
    expect(offenders).toEqual({});
    await page.context().close();
  });
});
