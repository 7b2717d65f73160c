// The VM page in Debian's Chromium against a real vmctld and the busybox guest: one primary power
// action and a menu instead of seven buttons, and an Overview that shows what the VM is doing
// (state, uptime, CPU and memory, addresses, its screen, disks, NICs, snapshots, tasks) in cards
// that fit 1280×800 and 1920×1080.
import { describe, it, expect } from "vitest";
import type { Browser, Page } from "playwright-core";
import { TestHost, ConsoleReader, guestDefinition, ADMIN_PASSWORD, GUEST_READY_LINE, waitForState } from "./harness.js";
import { withBrowserHost, ARTIFACTS, logIn, unnamedControls, tabTo } from "./browser.js";

let host: TestHost;
let browser: Browser;
const VM = `vp-${process.pid}`;

withBrowserHost((h, b) => { host = h; browser = b; });

const POWER_LABELS = ["Start", "Shut down", "Resume", "Stop", "Stop (power off)", "Restart", "Reset", "Pause", "Suspend"];

/** The power buttons shown outside the menu, by name. */
const visiblePowerButtons = (page: Page) => page.evaluate((labels) => {
  const name = (window as unknown as { __accessibleName: (el: Element) => string }).__accessibleName;
  return [...document.querySelectorAll("main button")]
    .filter((b) => b.getClientRects().length > 0 && !b.closest("[role=menu]"))
    .map((b) => name(b))
    .filter((n) => labels.includes(n));
}, POWER_LABELS);

const primary = (page: Page, label: string) => page.locator(".vmctl-vm-actions").getByRole("button", { name: label, exact: true });
const menuToggle = (page: Page) => page.getByRole("button", { name: `Power actions for ${VM}` });
const menuItem = (page: Page, label: string) => page.getByRole("menuitem", { name: label, exact: true });

/** Every card body of the Overview whose content is wider than the card (clipped or scrolling), and every pair of cards that overlap. */
const layoutFaults = (page: Page) => page.evaluate(() => {
  const faults: string[] = [];
  const cards = [...document.querySelectorAll<HTMLElement>('[data-testid="vm-overview"] > *')];
  for (const card of cards) {
    const title = card.getAttribute("aria-label") ?? card.className;
    for (const body of card.querySelectorAll<HTMLElement>(".vmctl-overview__body")) {
      if (body.scrollWidth > body.clientWidth + 1) faults.push(`${title}: content ${body.scrollWidth} px wide in ${body.clientWidth} px`);
    }
    if (card.scrollWidth > card.clientWidth + 1) faults.push(`${title}: card content ${card.scrollWidth} px wide in ${card.clientWidth} px`);
  }
  const boxes = cards.map((c) => ({ title: c.getAttribute("aria-label") ?? "?", r: c.getBoundingClientRect() }));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!.r; const b = boxes[j]!.r;
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) faults.push(`${boxes[i]!.title} overlaps ${boxes[j]!.title}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) faults.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px in ${window.innerWidth} px`);
  return faults;
});

describe("Host Client VM page", () => {
  it("one primary power action and a menu; the Overview shows what the VM does; reset, pause and resume; keyboard and layout", async () => {
    await host.client.createVm(guestDefinition(VM, { disks: { disk0: { file: `${VM}/disk0.qcow2`, size: "16MiB" } }, nics: { net0: {} } }));
    const page = await logIn(browser, host, "admin", ADMIN_PASSWORD);
    await page.getByRole("link", { name: VM, exact: true }).click();
    await page.getByRole("heading", { name: new RegExp(`^${VM}`) }).waitFor();
    const overview = page.getByTestId("vm-overview");
    await overview.waitFor();
    expect(await page.getByRole("tab", { name: "Overview", exact: true }).getAttribute("aria-selected")).toBe("true");

    // Stopped: one primary "Start", nothing else outside the menu.
    await primary(page, "Start").waitFor();
    expect(await visiblePowerButtons(page)).toEqual(["Start"]);
    expect(await page.getByTestId("overview-state").innerText()).toBe("stopped");
    expect(await page.getByTestId("overview-uptime").innerText()).toBe("-");
    // The menu holds the rest, each greyed with the reason while the state does not allow it.
    await menuToggle(page).click();
    await menuItem(page, "Stop (power off)").waitFor();
    expect(await menuItem(page, "Stop (power off)").getAttribute("aria-disabled")).toBe("true");
    expect(await page.getByRole("menu").innerText()).toContain(`Not while ${VM} is stopped`);
    expect(await unnamedControls(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await page.getByRole("menu").waitFor({ state: "detached" });
    // The disks and NICs of the definition, the empty snapshots and tasks.
    await expect.poll(async () => page.getByTestId("overview-disks").innerText()).toMatch(/disk0[\s\S]*virtio, qcow2[\s\S]*16 MiB/);
    await expect.poll(async () => page.getByTestId("overview-nics").innerText()).toMatch(/net0[\s\S]*virtio[\s\S]*([0-9a-f]{2}:){5}[0-9a-f]{2}/);
    expect(await page.getByTestId("overview-snapshots-card").innerText()).toContain("No snapshots yet");
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/vm-overview-stopped.png` });

    // Start from the primary button: it becomes "Shut down", and the overview shows the VM running.
    const reader = await ConsoleReader.open(host.client, VM);
    await primary(page, "Start").click();
    await primary(page, "Shut down").waitFor({ timeout: 60_000 });
    expect(await visiblePowerButtons(page)).toEqual(["Shut down"]);
    await expect.poll(async () => page.getByTestId("overview-state").innerText()).toBe("running");
    await expect.poll(async () => page.getByTestId("overview-uptime").innerText()).toMatch(/^\d+ (s|min)$/);
    const cpu = page.getByRole("progressbar", { name: "CPU usage" });
    await cpu.waitFor({ timeout: 30_000 });
    expect(Number(await cpu.getAttribute("aria-valuenow"))).toBeGreaterThanOrEqual(0);
    await page.getByRole("progressbar", { name: "Memory usage" }).waitFor();
    // The memory figure says whose it is: the busybox guest has no balloon driver, so QEMU's RSS.
    expect(await page.getByTestId("memory-source").innerText()).toMatch(/^(host's view|guest reported)$/);
    // The total is the guest's own (with a balloon, e.g. "218.4 MiB") or the allocation ("256 MiB").
    expect(await page.getByTestId("metrics").innerText()).toMatch(/MiB of \d+(\.\d)? MiB (allocated|in use)/);
    // Addresses: an IP with its source, or "—" (the user-mode NAT network gives vmctld no lease).
    expect(await page.getByTestId("summary-addresses").innerText()).toMatch(/^(—|\d+\.\d+\.\d+\.\d+[\s\S]*)$/);
    // The screen: a drawn PNG from the screenshot endpoint.
    const screen = page.getByRole("img", { name: `${VM} screen` });
    await expect.poll(async () => screen.evaluate((img: HTMLImageElement) => img.complete ? img.naturalWidth : 0), { timeout: 30_000 }).toBeGreaterThan(0);
    // The start is the latest task.
    await expect.poll(async () => page.getByTestId("overview-tasks").innerText()).toMatch(/^Start\s+success\s+admin/);
    await reader.waitFor(GUEST_READY_LINE, 90_000);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/vm-overview-running.png` });

    // The menu of a running VM, by the keyboard alone: focus reaches the toggle, Enter opens it.
    await page.reload();
    await overview.waitFor();
    await tabTo(page, `Power actions for ${VM}`);
    await page.keyboard.press("Enter");
    await menuItem(page, "Reset").waitFor();
    expect(await menuItem(page, "Reset").getAttribute("aria-disabled")).not.toBe("true");
    for (const label of ["Restart", "Pause", "Suspend", "Stop (power off)"]) expect(await menuItem(page, label).getAttribute("aria-disabled")).not.toBe("true");
    expect(await menuItem(page, "Resume").getAttribute("aria-disabled")).toBe("true");
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/vm-power-menu.png` });
    await page.keyboard.press("Escape");
    await page.getByRole("menu").waitFor({ state: "detached" });

    // Reset asks first; Cancel changes nothing, "Reset" reboots the guest (a second boot on its console).
    const bootsBefore = reader.text.split(GUEST_READY_LINE).length - 1;
    await menuToggle(page).click();
    await menuItem(page, "Reset").click();
    const dialog = page.getByRole("dialog", { name: `Reset ${VM}?` });
    await dialog.waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(reader.text.split(GUEST_READY_LINE).length - 1).toBe(bootsBefore);
    const from = reader.text.length;
    await menuToggle(page).click();
    await menuItem(page, "Reset").click();
    await dialog.getByRole("button", { name: "Reset", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    await reader.waitFor(GUEST_READY_LINE, 90_000, from);
    expect((await host.client.getVm(VM)).state).toBe("running");
    await expect.poll(async () => page.getByTestId("overview-tasks").innerText()).toMatch(/^Reset\s+success/);

    // Pause from the menu: the primary becomes "Resume"; it resumes.
    await menuToggle(page).click();
    await menuItem(page, "Pause").click();
    await primary(page, "Resume").waitFor({ timeout: 30_000 });
    expect(await visiblePowerButtons(page)).toEqual(["Resume"]);
    await expect.poll(async () => page.getByTestId("overview-state").innerText()).toBe("paused");
    await waitForState(host.client, VM, "paused");
    await primary(page, "Resume").click();
    await primary(page, "Shut down").waitFor({ timeout: 30_000 });
    await waitForState(host.client, VM, "running");
    // The guest runs again: it answers on its console.
    expect(await reader.run("echo resumed-$((20+22))")).toContain("resumed-42");

    // A snapshot shows in the overview's latest snapshots.
    expect((await host.cli(["snapshot", "create", "--no-memory", VM, "before-layout"])).code).toBe(0);
    await expect.poll(async () => page.getByTestId("overview-snapshots").innerText(), { timeout: 30_000 }).toContain("before-layout");

    // The figures go on while the snapshot is taken (QEMU runs on); the screenshots show them.
    await cpu.waitFor({ timeout: 30_000 });
    // The check itself sees content wider than its card.
    await page.evaluate(() => { const probe = document.createElement("div"); probe.id = "wide-probe"; probe.style.width = "3000px"; probe.textContent = "x"; document.querySelector(".vmctl-overview__body")!.append(probe); });
    expect(await layoutFaults(page)).toContainEqual(expect.stringMatching(/^Status: content \d+ px wide/));
    await page.evaluate(() => document.getElementById("wide-probe")?.remove());
    // Both screen sizes: every card's content fits its card, no two cards overlap.
    for (const [width, height] of [[1280, 800], [1920, 1080]] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(300); // the grid reflows on the next frame
      expect(await layoutFaults(page)).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/vm-overview-${width}x${height}.png`, fullPage: true });
    }

    // The thumbnail opens the graphical console.
    await screen.click();
    await expect.poll(() => page.url()).toMatch(/\/display$/);
    expect(await page.getByRole("tab", { name: "Graphical console" }).getAttribute("aria-selected")).toBe("true");
    await page.getByRole("tab", { name: "Overview", exact: true }).click();
    await overview.waitFor();

    // Shut down from the primary button: the guest powers off, the primary is "Start" again.
    await primary(page, "Shut down").click();
    await primary(page, "Start").waitFor({ timeout: 90_000 });
    await expect.poll(async () => page.getByTestId("overview-state").innerText()).toBe("stopped");
    reader.close();
    await page.context().close();
  }, 360_000); // a guest booted twice, paused and shut down under TCG, on two cores shared with other tests

  it("a ReadOnly user sees the overview of a VM but no power controls", async () => {
    const name = `${VM}-ro`;
    await host.client.call("POST", "/api/v1/users", { username: "vp-viewer", password: "vp-viewer-password", role: "ReadOnly" });
    await host.client.createVm(guestDefinition(name, { nics: { net0: {} } }));
    const page = await logIn(browser, host, "vp-viewer", "vp-viewer-password");
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByTestId("vm-overview").waitFor();
    await expect.poll(async () => page.getByTestId("overview-nics").innerText()).toContain("net0");
    expect(await page.getByRole("button", { name: `Power actions for ${name}` }).count()).toBe(0);
    expect(await visiblePowerButtons(page)).toEqual([]);
    expect(await unnamedControls(page)).toEqual([]);
    await page.context().close();
  });
});
