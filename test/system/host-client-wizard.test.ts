// The Create VM wizard in Debian's Chromium (playwright-core) against a real vmctld, at 1280×800:
// a VM from an ISO in the library, one deployed from a template, one from a disk image in a
// datastore (copied into its folder) with cloud-init, each checked through the API's definition;
// the review reads in words with "Create virtual machine" in view; no field shows an error before
// it is touched; every control has a name on every step; and a keyboard-only walk of a template
// deploy. Screenshots of each step go to test-artifacts/screenshots/wizard-*.png.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { TestHost, guestDefinition, ADMIN_PASSWORD } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn as logInAs, newContext, tabTo, unnamedControls, logInByKeyboard } from "./browser.js";

let host: TestHost;
let browser: Browser;
let files: string;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm6Cw9b2cT0l5oKqAqv0Qe0n1x0gqk6h8cQz3oVQf7e bob@laptop";
const VIEW = { width: 1280, height: 800 };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  files = mkdtempSync(join(tmpdir(), "vmctl-wizard-"));
  host = await TestHost.start();
  browser = await launchChromium();
  // What the journeys stand on, through the API: an ISO in the library, a disk image in a datastore, a template.
  mkdirSync(join(files, "iso-root"));
  writeFileSync(join(files, "iso-root", "README.TXT"), "a tiny installer\n");
  execFileSync("genisoimage", ["-quiet", "-V", "WIZARD", "-o", join(files, "wiz-installer.iso"), join(files, "iso-root")]);
  await host.client.uploadFile("local", "iso/wiz-installer.iso", join(files, "wiz-installer.iso"));
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", join(files, "wiz-cloud.qcow2"), "64M"]);
  await host.client.makeDirectory("local", "images");
  await host.client.uploadFile("local", "images/wiz-cloud.qcow2", join(files, "wiz-cloud.qcow2"));
  await host.client.createVm(guestDefinition("wiz-tpl", { cpus: 2 }));
  await host.client.setTemplate("wiz-tpl", true);
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

async function openWizard(): Promise<Page> {
  const page = await logInAs(browser, host, "admin", ADMIN_PASSWORD);
  await page.setViewportSize(VIEW);
  await page.getByRole("button", { name: "Create VM" }).click();
  await page.getByRole("dialog").waitFor();
  return page;
}

/** The errors the wizard shows on its visible step: red helper text or a field marked invalid. */
const shownErrors = (page: Page) => page.getByRole("dialog", { name: "Create a virtual machine" }).evaluate((dialog) => [
  ...[...dialog.querySelectorAll(".pf-v6-c-helper-text__item.pf-m-error")].map((e) => e.textContent ?? ""),
  ...[...dialog.querySelectorAll("[aria-invalid=true]")].map((e) => `invalid ${e.id}`),
].filter((e) => e.trim()));

/** On a step just reached: no error yet, every control named, and its screenshot. */
async function freshStep(page: Page, shot: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  expect(await shownErrors(page)).toEqual([]);
  expect(await unnamedControls(page)).toEqual([]);
  await page.screenshot({ path: `${ARTIFACTS}/wizard-${shot}.png` });
}

/** The review: sentences, no JSON, and Create in the footer inside the 1280×800 window without scrolling. */
async function checkReview(page: Page, shot: string): Promise<string> {
  const review = page.getByTestId("wizard-review");
  await review.waitFor();
  const text = await review.innerText();
  expect(text).not.toMatch(/[{}]/);
  const create = page.locator(".pf-v6-c-wizard__footer").getByRole("button", { name: "Create virtual machine" });
  const box = await create.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.y + box!.height).toBeLessThanOrEqual(VIEW.height);
  expect(box!.x + box!.width).toBeLessThanOrEqual(VIEW.width);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  expect(await unnamedControls(page)).toEqual([]);
  await page.screenshot({ path: `${ARTIFACTS}/wizard-${shot}.png` });
  return text;
}

describe("Create VM wizard", () => {
  it("creates a VM from an ISO in the library: errors only once a field is left, help on the choices, a review in words", async () => {
    const page = await openWizard();
    await freshStep(page, "1-name-and-size");
    // Typing a bad name shows nothing until the field is left; leaving it does.
    await page.getByLabel("Name", { exact: true }).fill("Bad Name");
    expect(await shownErrors(page)).toEqual([]);
    await page.keyboard.press("Tab");
    await expect.poll(() => shownErrors(page)).toEqual(expect.arrayContaining([expect.stringContaining("Lower-case letters, digits")]));
    await page.getByLabel("Name", { exact: true }).fill("wiz-iso");
    await expect.poll(() => shownErrors(page)).toEqual([]);
    await page.getByLabel("CPUs", { exact: true }).fill("2");
    await page.getByLabel("Memory").fill("256MiB");
    // Help on the machine type and firmware.
    await page.getByRole("button", { name: "More about machine type" }).click();
    await page.getByText("is a modern PC").waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/wizard-help-machine-type.png` });
    await page.keyboard.press("Escape");
    await page.getByText("is a modern PC").waitFor({ state: "detached" });
    expect(await page.getByRole("dialog", { name: "Create a virtual machine" }).count()).toBe(1);
    await page.getByRole("button", { name: "More about firmware" }).click();
    await page.getByText("Secure Boot").waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Disk size").waitFor();
    await freshStep(page, "2-storage");
    await page.getByLabel("An ISO image from the ISO library").check();
    const isoSelect = page.getByLabel("ISO image", { exact: true });
    await isoSelect.selectOption((await isoSelect.locator("option", { hasText: "wiz-installer.iso" }).getAttribute("value"))!);
    await page.getByLabel("Disk size").fill("64MiB");
    await page.getByRole("button", { name: "More about disk bus" }).click();
    await page.getByText("can be added to a running VM").waitFor();
    await page.keyboard.press("Escape");
    expect(await shownErrors(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-2-storage-iso.png` });
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Serial console").waitFor();
    await freshStep(page, "3-network");
    await page.getByRole("button", { name: "More about NIC model" }).click();
    await page.getByText("works in nearly every guest").waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Start the VM once created").uncheck();
    const text = await checkReview(page, "4-review");
    expect(text).toContain("wiz-iso: 2 CPUs, 256 MiB memory, q35 with BIOS; a new 64 MiB virtio disk on datastore local; boots from the ISO wiz-installer.iso; NIC net0 on default");
    expect(text).toContain("stays stopped once created");
    await page.locator(".pf-v6-c-wizard__footer").getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^wiz-iso/ }).waitFor();

    const { definition } = await host.client.getVm("wiz-iso");
    expect(definition).toMatchObject({ cpus: 2, memory: "256MiB", machine: "q35", firmware: "bios", boot: { order: ["cdrom0", "disk0"] } });
    expect(definition?.cdroms.cdrom0).toMatchObject({ iso: "iso/wiz-installer.iso", datastore: "local" });
    expect(definition?.disks.disk0).toMatchObject({ size: "64MiB", bus: "virtio", format: "qcow2" });
    expect((await host.client.getVm("wiz-iso")).state).toBe("stopped");
    await page.context().close();
  });

  it("Next on an empty name stays and says why; a size vmctld refuses shows its answer beside the field", async () => {
    const page = await openWizard();
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => shownErrors(page)).toEqual(expect.arrayContaining([expect.stringContaining("Give the VM a name.")]));
    expect(await page.getByLabel("Disk size").count()).toBe(0);
    await page.getByLabel("Name", { exact: true }).fill("wiz-refused");
    await expect.poll(() => shownErrors(page)).toEqual([]);
    await page.getByLabel("Memory").fill("1.5.5GiB");
    await page.getByRole("button", { name: "Review" }).click();
    const answer = page.waitForResponse((r) => r.url().endsWith("/api/v1/vms") && r.request().method() === "POST");
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    expect((await answer).status()).toBe(400);
    // The wizard goes back to the field and says vmctld's reason beside it.
    const memoryGroup = page.locator(".pf-v6-c-form__group", { has: page.getByLabel("Memory") });
    await expect.poll(async () => memoryGroup.innerText()).toContain('is "1.5.5GiB"; expected a size with a unit, e.g. "512MiB" or "20GiB"');
    await page.screenshot({ path: `${ARTIFACTS}/wizard-server-refusal.png` });
    await expect(host.client.getVm("wiz-refused")).rejects.toMatchObject({ status: 404 });
    // An OVA is imported from the first step: the import dialog takes the wizard's place.
    await page.getByRole("button", { name: "Name and size" }).click();
    await page.getByRole("button", { name: "Import a package instead…" }).click();
    await page.getByRole("dialog", { name: "Import a virtual machine" }).waitFor();
    await page.getByLabel("An OVA file on this computer").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-import-ova.png` });
    await page.context().close();
  });

  it("deploys a VM from a template marked by the API", async () => {
    const page = await openWizard();
    await page.getByLabel("Name", { exact: true }).fill("wiz-deployed");
    await page.getByLabel("A template (deploy a copy of it)").check();
    await page.getByRole("combobox", { name: "Template", exact: true }).selectOption("wiz-tpl");
    await freshStep(page, "template-1");
    // The template gives the hardware: the storage and network steps are not asked.
    expect(await page.getByRole("button", { name: "Storage and boot" }).count()).toBe(0);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    const text = await checkReview(page, "template-review");
    expect(text).toContain("wiz-deployed: a linked clone of the template wiz-tpl");
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^wiz-deployed/ }).waitFor();
    const vm = await host.client.getVm("wiz-deployed");
    expect(vm.definition).toMatchObject({ name: "wiz-deployed", cpus: 2, template: false, boot: { kernel: "vmlinuz", datastore: "images" } });
    await page.context().close();
  });

  it("creates a VM from a disk image in a datastore, copied into its folder, with cloud-init", async () => {
    const page = await openWizard();
    await page.getByLabel("Name", { exact: true }).fill("wiz-img");
    await page.getByLabel("Memory").fill("256MiB");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("A disk or cloud image in a datastore").check();
    expect(await shownErrors(page)).toEqual([]);
    await page.getByRole("button", { name: "Browse for a disk image" }).click();
    await page.getByLabel("Datastore to browse").selectOption("local");
    await page.getByRole("button", { name: "images/" }).click();
    // Choosing the file closes the picker and fills in the field.
    await page.getByLabel("Choose wiz-cloud.qcow2").click();
    await expect.poll(() => page.getByLabel("Disk image", { exact: true }).inputValue()).toBe("images/wiz-cloud.qcow2");
    expect(await shownErrors(page)).toEqual([]);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-2-storage-image.png` });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Host name").fill("wizhost");
    await page.getByLabel("User name").fill("bob");
    await page.getByLabel("SSH public key").fill(KEY);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-3-cloud-init.png` });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    const text = await checkReview(page, "image-review");
    expect(text).toContain("a virtio disk copied from images/wiz-cloud.qcow2 (datastore local) into its folder on datastore local");
    expect(text).toContain('host name wizhost; user bob who logs in with ssh-ed25519 key "bob@laptop", password locked, may sudo');
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^wiz-img/ }).waitFor();

    const { definition } = await host.client.getVm("wiz-img");
    expect(definition?.disks).toEqual({ disk0: expect.objectContaining({ file: "wiz-img/disk0.qcow2", format: "qcow2", bus: "virtio" }) });
    expect(definition?.cloud_init).toMatchObject({ hostname: "wizhost", users: [{ name: "bob", ssh_authorized_keys: [KEY], sudo: true }] });
    // The copy is the image, in the VM's folder; the image itself stays.
    const folder = await host.client.listFiles("local", "wiz-img");
    const source = await host.client.listFiles("local", "images");
    const size = (list: typeof folder, name: string) => list.entries.find((e) => e.name === name)?.size;
    expect(size(folder, "disk0.qcow2")).toBe(size(source, "wiz-cloud.qcow2"));
    await page.context().close();
  });

  it("creates a VM from a disk image uploaded from this computer into the VM's folder", async () => {
    const page = await openWizard();
    await page.getByLabel("Name", { exact: true }).fill("wiz-up");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("A disk or cloud image from this computer (uploaded)").check();
    // Next without a file stays on the step and says what is missing.
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => shownErrors(page)).toEqual([expect.stringContaining("Choose the disk image file to upload.")]);
    await page.getByLabel("Disk image to upload").setInputFiles(join(files, "wiz-cloud.qcow2"));
    await expect.poll(() => shownErrors(page)).toEqual([]);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Start the VM once created").uncheck();
    expect(await checkReview(page, "upload-review")).toContain("a virtio disk uploaded from wiz-cloud.qcow2 into its folder on datastore local");
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^wiz-up/ }).waitFor();
    expect((await host.client.getVm("wiz-up")).definition?.disks).toEqual({ disk0: expect.objectContaining({ file: "wiz-up/disk0.qcow2", format: "qcow2" }) });
    await page.context().close();
  });

  it("a disk image path out of its datastore is refused beside the field and makes nothing", async () => {
    const page = await openWizard();
    await page.getByLabel("Name", { exact: true }).fill("wiz-escape");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("A disk or cloud image in a datastore").check();
    await page.getByLabel("Disk image", { exact: true }).fill("../../../../etc/shadow");
    await page.getByLabel("Use the file itself as the VM's disk").check();
    await page.getByRole("button", { name: "Review" }).click();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    const group = page.locator(".pf-v6-c-form__group", { has: page.getByLabel("Disk image", { exact: true }) });
    await expect.poll(async () => (await shownErrors(page)).join(" "), { timeout: 20_000 }).not.toBe("");
    expect(await group.locator(".pf-m-error").count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/wizard-refused-path.png` });
    expect((await group.innerText())).not.toContain(host.home);
    await expect(host.client.getVm("wiz-escape")).rejects.toMatchObject({ status: 404 });
    await page.context().close();
  });

  it("the keyboard alone deploys a VM from a template", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.setViewportSize(VIEW);
    await logInByKeyboard(page, host);
    await tabTo(page, "Create VM");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("vm-name");
    await page.keyboard.type("wiz-kbd");
    await tabTo(page, "A new virtual machine");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.evaluate(() => (document.getElementById("from-template") as HTMLInputElement | null)?.checked)).toBe(true);
    await tabTo(page, "Template");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.evaluate(() => (document.getElementById("vm-template") as HTMLSelectElement | null)?.value)).toBe("wiz-tpl");
    await tabTo(page, "Next");
    await page.keyboard.press("Enter");
    await page.getByTestId("wizard-review").waitFor();
    await tabTo(page, "Start the VM once created");
    await page.keyboard.press("Space");
    await tabTo(page, "Create virtual machine");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: /^wiz-kbd/ }).waitFor();
    expect((await host.client.getVm("wiz-kbd")).definition).toMatchObject({ cpus: 2, template: false });
    await context.close();
  });
});
