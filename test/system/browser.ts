// What the browser tests share: Debian's Chromium launched headless, a logged-in page, and the
// keyboard and accessible-name checks (run in the page as a plain script).
import { mkdirSync } from "node:fs";
import { beforeAll, afterAll } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { TestHost, ADMIN_PASSWORD } from "./harness.js";

export const ARTIFACTS = "test-artifacts/screenshots";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

/**
 * One vmctld and one Chromium for a browser test file: started before its tests (the screenshot
 * folder made), handed to `started`, and closed after them.
 */
export function withBrowserHost(started: (host: TestHost, browser: Browser) => void): void {
  let host: TestHost | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    host = await TestHost.start();
    browser = await launchChromium();
    started(host, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });
}

/**
 * The accessible name of an element, close enough to the spec for this check (aria-labelledby,
 * aria-label, <label>, visible text without aria-hidden parts, alt, title), as a plain script so
 * the page can run it untransformed.
 */
export const ACCESSIBLE_NAME = `
window.__accessibleName = function (el) {
  function text(node) {
    if (node.nodeType === 3) return node.textContent;
    if (node.nodeType !== 1) return "";
    if (node.getAttribute("aria-hidden") === "true" || node.hidden) return "";
    var own = node.getAttribute("aria-label");
    if (own && own.trim() && node !== el) return own;
    if (node.tagName === "IMG") return node.getAttribute("alt") || "";
    return Array.prototype.map.call(node.childNodes, text).join(" ");
  }
  if (!el) return "";
  var by = el.getAttribute("aria-labelledby");
  if (by) {
    var named = by.split(/\\s+/).map(function (id) { var r = document.getElementById(id); return r && r !== el ? text(r) : ""; }).join(" ").trim();
    if (named) return named.replace(/\\s+/g, " ");
  }
  var label = (el.getAttribute("aria-label") || "").trim();
  if (label) return label;
  if (el.labels && el.labels.length) { var l = Array.prototype.map.call(el.labels, text).join(" ").trim(); if (l) return l.replace(/\\s+/g, " "); }
  if (!/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) { var t = text(el).trim(); if (t) return t.replace(/\\s+/g, " "); }
  return (el.getAttribute("title") || "").trim();
};`;

/**
 * A browser context with the accessible-name script; waits get 60 s, since three system test files
 * share two cores with Chromium and the guests, and a busy moment must not fail a test.
 */
export async function newContext(browser: Browser, options: { acceptDownloads?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(60_000);
  await context.addInitScript({ content: ACCESSIBLE_NAME });
  return context;
}

/** A new browser context logged in as `user`, on the inventory page. */
export async function logIn(browser: Browser, host: TestHost, user: string, password: string, options: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${host.port}/`);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  try {
    await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
  } catch (error) {
    // Say what the person would have seen instead (a CI run once stayed on another page here).
    const shot = `${ARTIFACTS}/login-failed-${Date.now()}.png`;
    await page.screenshot({ path: shot }).catch(() => {});
    const text = await page.locator("body").innerText().catch(() => "(no page)");
    throw new Error(`after logging in as ${user}, no inventory at ${page.url()} (screenshot ${shot}); the page shows: ${text.slice(0, 600)}`, { cause: error });
  }
  return page;
}

/** Every visible control of the page that has no accessible name, described for the failure message. */
export async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const name = (window as unknown as { __accessibleName: (el: Element) => string }).__accessibleName;
    const controls = document.querySelectorAll("button, a[href], [role=button], [role=link], [role=tab], [role=checkbox], [role=treeitem] button, input:not([type=hidden]), select, textarea");
    return [...controls]
      .filter((el) => el.getClientRects().length > 0 && !el.closest("[aria-hidden=true], [inert]"))
      .filter((el) => !name(el))
      .map((el) => el.outerHTML.slice(0, 160));
  });
}

/** Presses Tab until the focused element's accessible name is `name`; the keyboard is all it uses. */
export async function tabTo(page: Page, name: string | RegExp, presses = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => (window as unknown as { __accessibleName: (el: Element | null) => string }).__accessibleName(document.activeElement));
    seen.push(focused);
    if (typeof name === "string" ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached "${String(name)}"; focus went through: ${seen.join(" | ")}`);
}

/** Logs in as admin with the keyboard alone (Tab to the user name, type, Tab, type, Enter), to the inventory. */
export async function logInByKeyboard(page: Page, host: TestHost): Promise<void> {
  await page.goto(`https://127.0.0.1:${host.port}/`);
  await tabTo(page, "User name");
  await page.keyboard.type("admin");
  await page.keyboard.press("Tab");
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
}

/**
 * Turns the mouse wheel over the serial console (as a person reads back) until five turns in a row
 * move nothing (xterm scrolls a little after each wheel event, later under load), and answers the
 * first row then shown.
 */
export async function scrollConsole(page: Page, delta: number): Promise<string> {
  const rows = page.locator('[data-testid="serial-console"] .xterm-rows');
  const box = (await page.getByTestId("serial-console").boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  let previous = "";
  for (let i = 0, still = 0; i < 400 && still < 5; i++) {
    await page.mouse.wheel(0, delta);
    await page.waitForTimeout(50);
    const text = await rows.innerText();
    still = text === previous ? still + 1 : 0;
    previous = text;
  }
  return rows.locator("> div").first().innerText();
}
