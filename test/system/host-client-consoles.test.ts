// The Host Client's consoles in Debian's Chromium against a real vmctld and the test guest: a
// console opened before the VM starts shows the whole boot, the pop-out window fills and names the
// VM, terminal settings and the graphical console's scaling apply and are remembered, and the
// "Send key" menu presses Ctrl+Alt+Delete in the guest (whose busybox init powers off on it).
import { describe, it, expect, inject } from "vitest";
import type { Browser, Page } from "playwright-core";
import { TestHost, guestDefinition, ADMIN_PASSWORD, GUEST_READY_LINE } from "./harness.js";
import { withBrowserHost, ARTIFACTS, logIn, unnamedControls, tabTo, scrollConsole } from "./browser.js";

let host: TestHost;
let browser: Browser;
const VM = "cons-boot";

withBrowserHost((h, b) => { host = h; browser = b; });

/**
 * Logs in; once more when the first try found no page: another session's `vite build` empties
 * packages/web/dist for a few seconds, and a page loaded then is blank.
 */
const logInAs = (user: string, password: string) => logIn(browser, host, user, password).catch(() => logIn(browser, host, user, password));

/** Reloads the page until its VM page is back (the same emptied dist, once or twice). */
async function reloadApp(page: Page): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.reload();
    try {
      await page.getByRole("tab", { name: "Console", exact: true }).waitFor({ timeout: 20_000 });
      return;
    } catch (error) {
      if (attempt === 2) throw error;
    }
  }
}

/** The serial console's terminal text as its rows show it now. */
const rows = (page: Page) => page.locator('[data-testid="serial-console"] .xterm-rows');

/** Scrolls the serial console to the top of its scroll-back (the mouse wheel, as a person would) and answers its first row. */
const firstRow = (page: Page) => scrollConsole(page, -4000);

/** The terminal's box and its drawn screen against the window's inner size. */
const fill = (page: Page, screen: string) => page.evaluate((selector) => {
  const el = document.querySelector(selector)?.getBoundingClientRect();
  return el ? { width: el.width / innerWidth, height: el.height / innerHeight, innerWidth, innerHeight } : { width: 0, height: 0, innerWidth, innerHeight };
}, screen);

/** Waits until the element covers at least these shares of the window's width and height, and says how much it covered if it never does. */
async function fills(page: Page, screen: string, width: number, height: number): Promise<void> {
  await expect.poll(async () => { const f = await fill(page, screen); return f.width >= width && f.height >= height; }).toBe(true).catch(async (error: unknown) => {
    throw new Error(`${screen} does not fill the window: ${JSON.stringify(await fill(page, screen))}`, { cause: error });
  });
}

const terminalFont = (page: Page) => page.evaluate(() => {
  const rowsEl = document.querySelector('[data-testid="serial-console"] .xterm-rows');
  return rowsEl ? getComputedStyle(rowsEl).fontSize : "";
});

/** The canvas's drawn size and its framebuffer size. */
const canvasSize = (page: Page) => page.evaluate(() => {
  const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
  if (!canvas) return null;
  const r = canvas.getBoundingClientRect();
  return { shown: [Math.round(r.width), Math.round(r.height)], frame: [canvas.width, canvas.height] };
});

describe("Host Client consoles", () => {
  it("a console opened on a stopped VM waits, starts it and shows the boot from the kernel's first line; its own window fills and names the VM; settings, scaling and Send key", async () => {
    // Without `quiet` the kernel prints its whole log on the serial line, from "Linux version" on.
    const { boot } = guestDefinition(VM);
    await host.client.createVm(guestDefinition(VM, { boot: { ...boot, cmdline: inject("guest").cmdline.replace(/\bquiet\b/, "").trim() } }));
    const page = await logInAs("admin", ADMIN_PASSWORD);
    try {
      await walk(page);
    } catch (error) {
      // What the person would have seen at the failure.
      await page.screenshot({ path: `${ARTIFACTS}/consoles-failed.png` }).catch(() => {});
      throw error;
    } finally {
      await page.context().close();
    }
  }, 480_000); // two boots under TCG, on a machine other tests share

  it("a ReadOnly user's console of a stopped VM waits too, with no Start and no Send key", async () => {
    await host.client.call("POST", "/api/v1/users", { username: "cons-viewer", password: "viewer-password", role: "ReadOnly" });
    await host.client.createVm(guestDefinition("cons-ro"));
    const page = await logInAs("cons-viewer", "viewer-password");
    try {
      await page.getByRole("link", { name: "cons-ro", exact: true }).click();
      await page.getByRole("tab", { name: "Console", exact: true }).click();
      await expect.poll(async () => page.getByTestId("console-waiting").innerText()).toContain("Waiting for cons-ro to start…");
      expect(await page.getByRole("button", { name: /^Start/ }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Send SysRq" }).count()).toBe(0);
      // The keyboard reaches the settings and their fields (the terminal keeps Tab, so start from the page).
      await page.locator("body").click({ position: { x: 5, y: 5 } });
      await tabTo(page, "Terminal settings");
      await page.keyboard.press("Enter");
      await tabTo(page, "Font size", 4);
      await tabTo(page, "Colours", 2);
      expect(await unnamedControls(page)).toEqual([]);
      await page.keyboard.press("Escape");
      await expect.poll(async () => page.getByLabel("Font size").count()).toBe(0);
      await page.getByRole("tab", { name: "Graphical console" }).click();
      await expect.poll(async () => page.getByTestId("display-waiting").innerText()).toContain("Waiting for cons-ro to start…");
      expect(await page.getByRole("button", { name: /^Start/ }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Send key" }).count()).toBe(0);
      expect(await unnamedControls(page)).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

async function walk(page: Page): Promise<void> {
    await page.getByRole("link", { name: VM, exact: true }).click();
    await page.getByRole("tab", { name: "Console", exact: true }).click();

    // 1. Before Start: the console is open and says it waits; nothing printed yet.
    const waiting = page.getByTestId("console-waiting");
    await expect.poll(async () => waiting.innerText()).toContain(`Waiting for ${VM} to start…`);
    expect((await rows(page).innerText()).trim()).toBe("");
    await page.screenshot({ path: `${ARTIFACTS}/console-waiting.png` });
    await page.getByRole("button", { name: `Start ${VM}` }).click();
    const terminal = page.getByTestId("serial-console");
    await expect.poll(async () => terminal.innerText(), { timeout: 90_000 }).toContain(GUEST_READY_LINE);
    await expect.poll(async () => waiting.count()).toBe(0);
    expect(await page.getByTestId("console-status").innerText()).toBe("connected");
    // The whole boot, from the kernel's first line: its top row is the one QEMU printed first.
    expect(await firstRow(page)).toMatch(/^\[\s*0\.000000\] Linux version \d/);
    await page.screenshot({ path: `${ARTIFACTS}/console-boot-top.png` });
    await scrollConsole(page, 4000);

    // The serial console's SysRq keys go through the VM's keyboard; the kernel answers on the serial line.
    await page.getByRole("button", { name: "Send SysRq" }).click();
    expect(await page.getByRole("menuitem").count()).toBe(8);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/console-send-sysrq.png` });
    await page.getByRole("menuitem", { name: /^Alt\+SysRq\+S\b/ }).click();
    await expect.poll(async () => terminal.innerText(), { timeout: 30_000 }).toMatch(/sysrq: Emergency Sync[\s\S]*Emergency Sync complete/);

    // 2. Terminal settings: font size and colours apply at once, and stay after a reload.
    expect(await terminalFont(page)).toBe("14px");
    await page.getByRole("button", { name: "Terminal settings" }).click();
    await page.getByLabel("Font size").selectOption("20");
    await page.getByLabel("Colours").selectOption({ label: "Light" });
    await expect.poll(() => terminalFont(page)).toBe("20px");
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="serial-console"]')!.parentElement!).backgroundColor)).toBe("rgb(255, 255, 255)");
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/console-terminal-settings.png` });
    await page.keyboard.press("Escape");
    await reloadApp(page);
    await expect.poll(async () => page.getByTestId("serial-console").innerText(), { timeout: 30_000 }).toContain(GUEST_READY_LINE);
    await expect.poll(() => terminalFont(page)).toBe("20px");
    await page.getByRole("button", { name: "Terminal settings" }).click();
    expect(await page.getByLabel("Font size").inputValue()).toBe("20");
    expect(await page.getByLabel("Colours").inputValue()).toBe("light");
    await page.keyboard.press("Escape");

    // 3. Its own window: titled with the VM, the terminal fills the window and follows its size.
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open in its own window" }).click()]);
    await expect.poll(() => popup.title()).toBe(`${VM} — console — vmctl`);
    await expect.poll(async () => popup.getByTestId("serial-console").innerText(), { timeout: 30_000 }).toContain(GUEST_READY_LINE);
    await popup.setViewportSize({ width: 1000, height: 640 });
    await fills(popup, '[data-testid="serial-console"] .xterm-screen', 0.9, 0.75);
    const wideCols = await popup.evaluate(() => document.querySelector('[data-testid="serial-console"] .xterm-rows > div')!.getBoundingClientRect().width);
    await popup.setViewportSize({ width: 700, height: 480 });
    await fills(popup, '[data-testid="serial-console"] .xterm-screen', 0.9, 0.7);
    expect((await fill(popup, "body")).innerWidth).toBe(700);
    // The terminal refits after the window's resize is observed: a moment later on a busy machine (CI saw it still wide).
    await expect.poll(() => popup.evaluate(() => document.querySelector('[data-testid="serial-console"] .xterm-rows > div')!.getBoundingClientRect().width)).toBeLessThan(wideCols);
    expect(await terminalFont(popup)).toBe("20px"); // the settings of this browser
    await popup.screenshot({ path: `${ARTIFACTS}/console-own-window.png` });
    await popup.close();

    // 4. The graphical console: scaled to fit keeps the screen's aspect; 1:1 shows it pixel for pixel; the choice stays.
    await page.getByRole("tab", { name: "Graphical console" }).click();
    await expect.poll(async () => page.getByTestId("vnc-status").innerText(), { timeout: 30_000 }).toBe("connected");
    await expect.poll(async () => (await canvasSize(page))?.frame[0] ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: "Scale to fit" }).getAttribute("aria-pressed")).toBe("true");
    const fitted = (await canvasSize(page))!;
    expect(fitted.shown).not.toEqual(fitted.frame);
    expect(Math.abs(fitted.shown[0]! / fitted.shown[1]! - fitted.frame[0]! / fitted.frame[1]!)).toBeLessThan(0.02);
    await page.screenshot({ path: `${ARTIFACTS}/graphical-scale-to-fit.png` });
    await page.getByRole("button", { name: "Actual size (1:1)" }).click();
    await expect.poll(async () => { const s = await canvasSize(page); return s && s.shown.join("x") === s.frame.join("x"); }).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/graphical-actual-size.png` });
    await reloadApp(page);
    await expect.poll(async () => page.getByTestId("vnc-status").innerText(), { timeout: 30_000 }).toBe("connected");
    expect(await page.getByRole("button", { name: "Actual size (1:1)" }).getAttribute("aria-pressed")).toBe("true");
    await expect.poll(async () => { const s = await canvasSize(page); return s !== null && s.frame[0]! > 0 && s.shown.join("x") === s.frame.join("x"); }, { timeout: 30_000 }).toBe(true);

    // Its own window, too: titled with the VM, the screen's box fills the window.
    const [display] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open in its own window" }).click()]);
    await expect.poll(() => display.title()).toBe(`${VM} — graphical console — vmctl`);
    await expect.poll(async () => display.getByTestId("vnc-status").innerText(), { timeout: 30_000 }).toBe("connected");
    await fills(display, '[data-testid="vnc-screen"]', 0.9, 0.75);
    await display.screenshot({ path: `${ARTIFACTS}/graphical-own-window.png` });
    await display.close();

    // 5. Send key, with the keyboard alone: the menu holds Cockpit's 14 combinations; Ctrl+Alt+Delete reaches the guest, whose init powers it off.
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await tabTo(page, "Send key");
    await page.keyboard.press("Enter");
    const items = page.getByRole("menuitem");
    await expect.poll(async () => items.allInnerTexts()).toEqual(["Ctrl+Alt+Delete", "Ctrl+Alt+Backspace", ...Array.from({ length: 12 }, (_, i) => `Ctrl+Alt+F${i + 1}`)]);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Ctrl+Alt+Delete");
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/graphical-send-key.png` });
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/api/v1/vms/${VM}/sendkey`)), page.keyboard.press("Enter")]);
    expect(answer.status()).toBe(200);
    expect(JSON.parse(answer.request().postData() ?? "{}")).toEqual({ keys: ["ctrl", "alt", "delete"] });
    await expect.poll(async () => page.getByTestId("vm-state").innerText(), { timeout: 60_000 }).toBe("stopped");
    expect((await host.client.getVm(VM)).lastExitReason).toBe("guest-shutdown");
    // Stopped again, the graphical console waits for the next start.
    await expect.poll(async () => page.getByTestId("display-waiting").innerText()).toContain(`Waiting for ${VM} to start…`);

    // 6. The serial console in its own window, opened while the VM is stopped: it waits, starts the VM and shows that boot from its first line.
    await page.getByRole("tab", { name: "Console", exact: true }).click();
    const [own] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open in its own window" }).click()]);
    await expect.poll(() => own.title()).toBe(`${VM} — console — vmctl`);
    await expect.poll(async () => own.getByTestId("console-waiting").innerText()).toContain(`Waiting for ${VM} to start…`);
    expect((await rows(own).innerText()).trim()).toBe("");
    await own.screenshot({ path: `${ARTIFACTS}/console-own-window-waiting.png` });
    await own.getByRole("button", { name: `Start ${VM}` }).click();
    await expect.poll(async () => own.getByTestId("serial-console").innerText(), { timeout: 90_000 }).toContain(GUEST_READY_LINE);
    expect(await firstRow(own)).toMatch(/^\[\s*0\.000000\] Linux version \d/);
    await own.close();
    expect((await host.cli(["stop", "--force", VM])).code).toBe(0);
}
