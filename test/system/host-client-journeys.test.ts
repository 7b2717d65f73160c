// The everyday journeys of a VM administrator, walked in the Host Client (Debian's Chromium) against a
// real vmctld and real QEMU guests, without the CLI: each starts from the VM list, counts the clicks a
// person makes, and saves a screenshot of where it ends. Then every main page at 1280×800 and
// 1920×1080, checked for clipped text, overlapping controls and a page that scrolls sideways.
//
// How clicks are counted (docs/host-client.md compares them with Cockpit Machines the same way):
// a click, a check or uncheck of a box, and Enter pressed to act count 1 each; choosing from a
// drop-down list counts 2 (open it, pick); typing into a field counts nothing. Setting up what a
// journey needs (an ISO in the library, a template, a VM to act on) goes through the API, before
// the journey, and is not counted.
import { describe, it, expect, beforeAll, afterAll, inject } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { TestHost, guestDefinition, ADMIN_PASSWORD, GUEST_READY_LINE } from "./harness.js";
import { ARTIFACTS, launchChromium, logIn as logInAs, scrollConsole } from "./browser.js";

let host: TestHost;
let browser: Browser;
let files: string;
const JOURNEYS_FILE = `${ARTIFACTS}/../journeys.json`;
const results: Record<string, { clicks: number; steps: string[]; screenshot: string }> = {};

/** 64 MiB disk, kernel boot, the serial console without `quiet` so the kernel's whole log shows. */
const vmWithDisk = (name: string) => {
  const definition = guestDefinition(name, { disks: { disk0: { size: "64MiB" } } });
  return { ...definition, boot: { ...definition.boot!, cmdline: inject("guest").cmdline.replace(/\bquiet\b/, "").replace(/\s+/g, " ").trim() } };
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  files = mkdtempSync(join(tmpdir(), "vmctl-journeys-"));
  host = await TestHost.start();
  browser = await launchChromium();
  // What the journeys stand on, made through the API: an ISO in the library, a template, and VMs to act on.
  mkdirSync(join(files, "iso-root"));
  writeFileSync(join(files, "iso-root", "README.TXT"), "an installer\n");
  const iso = join(files, "journey-installer.iso");
  execFileSync("genisoimage", ["-quiet", "-V", "JOURNEY", "-o", iso, join(files, "iso-root")]);
  await host.client.uploadFile("local", "iso/journey-installer.iso", iso);
  await host.client.createVm(vmWithDisk("j-base"));
  await host.client.setTemplate("j-base", true);
  for (const name of ["j-web", "j-start", "j-del-all", "j-del-keep"]) await host.client.createVm(vmWithDisk(name));
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** Wraps the page's clicks, checks, choices and Enter presses in a counter; filling a field is free. */
class Clicks {
  count = 0;
  readonly steps: string[] = [];
  constructor(readonly page: Page) {}
  private note(what: string, n = 1) { this.count += n; this.steps.push(what); }
  async click(target: Locator, what = String(target)) { await target.click(); this.note(`click ${what}`); }
  async check(target: Locator, what = String(target)) { await target.check(); this.note(`check ${what}`); }
  async uncheck(target: Locator, what = String(target)) { await target.uncheck(); this.note(`uncheck ${what}`); }
  /** Picks the option whose text matches (open the list, pick: 2 clicks). */
  async choose(target: Locator, option: RegExp, what = String(target)) {
    // The list may still be loading (a select shows "Reading…" first).
    let labels: string[] = [];
    await expect.poll(async () => { labels = await target.locator("option").allTextContents(); return labels.some((l) => option.test(l)); }, { message: `an option matching ${String(option)} in ${what}` }).toBe(true);
    const label = labels.find((l) => option.test(l))!;
    await target.selectOption({ label });
    this.note(`choose "${label}" in ${what}`, 2);
  }
  async enter(target: Locator, what = String(target)) { await target.press("Enter"); this.note(`Enter in ${what}`); }
  /** Typing: no click. */
  async type(target: Locator, text: string) { await target.fill(text); this.steps.push(`type "${text}"`); }
}

/** A journey from the VM list: a fresh logged-in page on the inventory, its clicks, its end's screenshot in journeys.json. */
async function journey(id: string, walk: (c: Clicks, page: Page) => Promise<void>): Promise<number> {
  // One more try at logging in: on a tree shared with other sessions, a `vite build` empties
  // packages/web/dist for a moment, and a page loaded then has no login form.
  const page = await logInAs(browser, host, "admin", ADMIN_PASSWORD).catch(() => logInAs(browser, host, "admin", ADMIN_PASSWORD));
  await page.getByTestId("inventory").waitFor();
  const clicks = new Clicks(page);
  try {
    await walk(clicks, page);
    await page.mouse.move(0, 0);
    const screenshot = `${ARTIFACTS}/journey-${id}.png`;
    await page.screenshot({ path: screenshot });
    results[id] = { clicks: clicks.count, steps: clicks.steps, screenshot: screenshot.replace(/^test-artifacts\//, "") };
    writeFileSync(JOURNEYS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`journey ${id}: ${clicks.count} clicks (${clicks.steps.join("; ")})\n`);
    return clicks.count;
  } catch (error) {
    await page.screenshot({ path: `${ARTIFACTS}/journey-${id}-failed.png` }).catch(() => {});
    throw new Error(`journey ${id} failed after: ${clicks.steps.join("; ") || "(nothing)"}`, { cause: error });
  } finally {
    await page.context().close();
  }
}

const row = (page: Page, vm: string) => page.locator(`tr[data-vm="${vm}"]`);
const stateIn = (page: Page, vm: string) => row(page, vm).locator('[data-testid="state"]');
const rowMenu = (c: Clicks, vm: string, item: string) => c.click(c.page.getByRole("button", { name: `Actions for ${vm}`, exact: true }))
  .then(() => c.click(c.page.getByRole("menuitem", { name: item })));

const diskFiles = (vm: string) => {
  const dir = join(host.home, "datastores", "local", vm);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".qcow2")) : [];
};

describe("Host Client journeys (clicks counted from the VM list)", () => {
  it("create a VM from an ISO in the library", async () => {
    await journey("create-from-iso", async (c, page) => {
      await c.click(page.getByRole("button", { name: "Create VM" }));
      await c.type(page.getByLabel("Name", { exact: true }), "j-iso");
      await c.click(page.getByRole("button", { name: "Next" }));
      await c.check(page.getByLabel("An ISO image from the ISO library"));
      await c.choose(page.getByLabel("ISO image", { exact: true }), /^journey-installer\.iso/);
      await c.click(page.getByRole("button", { name: "Next" }));
      await c.click(page.getByRole("button", { name: "Next" }));
      await page.getByTestId("wizard-review").waitFor();
      expect(await page.getByTestId("wizard-review").innerText()).toContain("journey-installer.iso");
      await c.click(page.getByRole("button", { name: "Create virtual machine" }));
      await page.getByRole("heading", { name: /^j-iso/ }).waitFor();
      await expect.poll(async () => page.getByTestId("vm-state").innerText(), { timeout: 30_000 }).toBe("running");
    });
    const vm = await host.client.getVm("j-iso");
    expect(JSON.stringify(vm.definition.cdroms)).toContain("iso/journey-installer.iso");
    expect(diskFiles("j-iso")).toEqual(["disk0.qcow2"]);
    // Not a bootable image: it has done its part (the CD is in the drive); it need not run on.
    await host.client.power("j-iso", { action: "stop" });
  });

  it("create a VM from a template (its Deploy button in the VM list)", async () => {
    await journey("create-from-template", async (c, page) => {
      await c.click(page.getByRole("button", { name: "Deploy a VM from j-base" }));
      expect(await page.getByRole("dialog").getByLabel("Name of the new VM").inputValue()).toBe("j-base-1");
      await c.click(page.getByRole("dialog").getByRole("button", { name: "Deploy" }));
      await row(page, "j-base-1").waitFor({ timeout: 60_000 });
      await expect.poll(async () => stateIn(page, "j-base-1").innerText()).toBe("stopped");
    });
    expect((await host.client.getVm("j-base-1")).template).toBeFalsy();
  });

  it("create a VM from a template in the Create VM wizard", async () => {
    await journey("create-from-template-wizard", async (c, page) => {
      await c.click(page.getByRole("button", { name: "Create VM" }));
      await c.type(page.getByLabel("Name", { exact: true }), "j-tpl-wiz");
      await c.check(page.getByLabel("A template (deploy a copy of it)"));
      await c.choose(page.getByRole("dialog").getByRole("combobox", { name: /^Template/ }), /^j-base /);
      await c.click(page.getByRole("button", { name: "Next" }));
      await page.getByTestId("wizard-review").waitFor();
      expect(await page.getByTestId("wizard-review").innerText()).toContain("j-base");
      await c.click(page.getByRole("button", { name: "Create virtual machine" }));
      await page.getByRole("heading", { name: /^j-tpl-wiz/ }).waitFor({ timeout: 60_000 });
    });
    expect((await host.client.getVm("j-tpl-wiz")).template).toBeFalsy();
    if ((await host.client.getVm("j-tpl-wiz")).state === "running") await host.client.power("j-tpl-wiz", { action: "stop" });
  });

  it("edit CPUs and memory", async () => {
    await journey("edit-cpu-memory", async (c, page) => {
      await c.click(page.getByRole("link", { name: "j-web", exact: true }));
      const overview = page.getByTestId("vm-overview");
      await overview.getByRole("heading", { name: "Configuration" }).waitFor();
      await c.click(overview.getByRole("button", { name: "Edit CPUs" }));
      await c.type(page.getByRole("dialog").getByLabel(/^CPUs/), "2");
      await c.click(page.getByRole("dialog").getByRole("button", { name: "Save" }));
      await page.getByRole("dialog").waitFor({ state: "detached" });
      await c.click(overview.getByRole("button", { name: "Edit memory" }));
      await c.type(page.getByRole("dialog").getByLabel(/^Memory/), "384 MiB");
      await c.click(page.getByRole("dialog").getByRole("button", { name: "Save" }));
      await page.getByRole("dialog").waitFor({ state: "detached" });
      // A stopped VM takes both at once: nothing waits for the next start.
      await expect.poll(async () => overview.innerText()).toMatch(/384 MiB/);
      expect(await page.getByTestId("pending-cpus").count()).toBe(0);
    });
    const vm = await host.client.getVm("j-web");
    expect({ cpus: vm.cpus, memory: vm.memoryBytes }).toEqual({ cpus: 2, memory: 384 * 1024 * 1024 });
  });

  it("take a snapshot", async () => {
    await journey("snapshot", async (c, page) => {
      await rowMenu(c, "j-web", "Take snapshot…");
      await c.type(page.getByRole("dialog").getByLabel("Name"), "before-upgrade");
      await c.click(page.getByRole("dialog").getByRole("button", { name: "Take snapshot" }));
      await expect.poll(async () => (await host.client.listSnapshots("j-web")).snapshots.map((s) => s.name), { timeout: 30_000 }).toEqual(["before-upgrade"]);
      await page.getByRole("dialog").waitFor({ state: "detached" });
    });
  });

  it("clone a VM", async () => {
    let clone = "";
    await journey("clone", async (c, page) => {
      await rowMenu(c, "j-web", "Clone…");
      // The dialog offers a free name (j-web-clone-1); a person takes it.
      clone = await page.getByRole("dialog").getByLabel("Name of the new VM").inputValue();
      expect(clone).toMatch(/^j-web-clone/);
      await c.click(page.getByRole("dialog").getByRole("button", { name: "Clone" }));
      await row(page, clone).waitFor({ timeout: 60_000 });
      await expect.poll(async () => stateIn(page, clone).innerText(), { timeout: 60_000 }).toBe("stopped");
    });
    expect(diskFiles(clone)).toEqual(["disk0.qcow2"]);
  });

  it("open the console before power-on and watch the whole boot", async () => {
    await journey("console-before-power-on", async (c, page) => {
      await c.click(page.getByRole("link", { name: "j-web", exact: true }));
      await c.click(page.getByRole("tab", { name: "Console", exact: true }));
      await page.getByText("Waiting for j-web to start…").waitFor();
      await c.click(page.getByRole("button", { name: "Start", exact: true }));
      const terminal = page.getByTestId("serial-console");
      await expect.poll(async () => terminal.innerText(), { timeout: 90_000 }).toContain(GUEST_READY_LINE);
      // The kernel's first line is in the scroll-back: the console was there before the VM was.
      expect(await scrollConsole(page, -4000)).toMatch(/^\[\s*0\.000000\] Linux version \d/);
      await scrollConsole(page, 4000);
    });
  });

  it("start a VM", async () => {
    await journey("start", async (c, page) => {
      await c.click(page.getByRole("button", { name: "Start j-start", exact: true }));
      await expect.poll(async () => stateIn(page, "j-start").innerText(), { timeout: 60_000 }).toBe("running");
    });
  });

  it("delete a VM with its disks", async () => {
    await journey("delete-with-disks", async (c, page) => {
      await rowMenu(c, "j-del-all", "Delete…");
      const dialog = page.getByRole("dialog", { name: "Delete j-del-all?" });
      expect(await dialog.getByLabel("Keep disk images").isChecked()).toBe(false);
      const remove = dialog.getByRole("button", { name: "Delete", exact: true });
      expect(await remove.isDisabled()).toBe(true);
      await c.type(dialog.getByLabel("Type j-del-all to confirm"), "j-del-all");
      await c.click(remove);
      await row(page, "j-del-all").waitFor({ state: "detached", timeout: 30_000 });
    });
    expect(diskFiles("j-del-all")).toEqual([]);
  });

  it("delete a VM and keep its disks", async () => {
    await journey("delete-keep-disks", async (c, page) => {
      await rowMenu(c, "j-del-keep", "Delete…");
      const dialog = page.getByRole("dialog", { name: "Delete j-del-keep?" });
      await c.check(dialog.getByLabel("Keep disk images"));
      await c.type(dialog.getByLabel("Type j-del-keep to confirm"), "j-del-keep");
      await c.click(dialog.getByRole("button", { name: "Delete", exact: true }));
      await row(page, "j-del-keep").waitFor({ state: "detached", timeout: 30_000 });
    });
    expect(diskFiles("j-del-keep")).toEqual(["disk0.qcow2"]);
    expect((await host.client.listVms()).map((v) => v.name)).not.toContain("j-del-keep");
  });
});

/**
 * What a person at this size would see wrong on the page, found in the page:
 * - clipped text: an element that hides its overflow (overflow hidden or clip, or text-overflow:
 *   ellipsis) and holds text wider than its box (scrollWidth > clientWidth + 1). Not a fault when
 *   the whole text is a hover away: the element or one of its three nearest ancestors has a title
 *   holding that text, or it is PatternFly's Truncate or a table header cell (PatternFly shows
 *   their whole text in a tooltip when it cuts them: an ellipsis by design).
 *   Screen-reader-only text (a box of 1 px or less) and the terminal (xterm clips its rows by
 *   design and scrolls them) are not text a sighted person reads there.
 * - overlapping controls: two visible buttons, links, fields, tabs, boxes or menu items, neither
 *   inside the other, whose boxes (each cut to the scroll areas that hold it) share more than
 *   2 px in both directions (PatternFly's grouped buttons share a 1 px border on purpose). A bar
 *   that stays put (position fixed or sticky, such as the tasks bar) over content that scrolls
 *   under it is reported apart, as `underBar`: the content may pass beneath it while scrolling, as
 *   under any sticky bar, but must come clear of it once scrolled to the end (the test checks that
 *   at the end of the scroll).
 * - sideways scroll: the document, or PatternFly's main area, is wider than the window.
 */
function findLayoutProblems(page: Page): Promise<{ clipped: string[]; overlaps: string[]; underBar: string[]; sidewaysScroll: string[] }> {
  return page.evaluate(() => {
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.classList.length ? `.${[...el.classList].slice(0, 2).join(".")}` : ""} "${((el as HTMLElement).innerText || el.getAttribute("aria-label") || el.getAttribute("value") || "").trim().replace(/\s+/g, " ").slice(0, 60)}"`;
    const shown = (el: Element) => {
      if (el.getClientRects().length === 0 || el.closest("[hidden], .xterm")) return false;
      const style = getComputedStyle(el);
      return style.visibility !== "hidden" && style.opacity !== "0";
    };
    /**
     * The element's box cut to every ancestor that clips or scrolls its content, but for the page's
     * own scroll (the document and PatternFly's main area): what lies beyond it is seen by scrolling
     * the page, and counts where it is.
     */
    const pageScroll = (el: Element) => el === document.body || el.matches(".pf-v6-c-page__main-container, .pf-v6-c-page__main");
    const visibleBox = (el: Element) => {
      const r = el.getBoundingClientRect();
      let box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        const s = getComputedStyle(a);
        if ((s.overflowX === "visible" && s.overflowY === "visible") || pageScroll(a)) continue;
        const ar = a.getBoundingClientRect();
        box = { left: Math.max(box.left, ar.left), top: Math.max(box.top, ar.top), right: Math.min(box.right, ar.right), bottom: Math.min(box.bottom, ar.bottom) };
      }
      return box;
    };
    const clipped: string[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (!(el instanceof HTMLElement) || !shown(el)) continue;
      const style = getComputedStyle(el);
      const hides = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
      if (!hides || el.clientWidth <= 1 || el.scrollWidth <= el.clientWidth + 1) continue;
      const text = el.innerText.trim();
      if (!text) continue;
      if (el.closest(".pf-v6-c-truncate, th.pf-v6-c-table__th")) continue;
      let titled = false;
      for (let a: HTMLElement | null = el, i = 0; a && i < 4; a = a.parentElement, i++) if ((a.getAttribute("title") ?? "").includes(text)) titled = true;
      if (!titled) clipped.push(`${describe(el)} (${el.scrollWidth} px of text in ${el.clientWidth} px)`);
    }
    const controls = [...document.body.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, [role=button], [role=tab], [role=checkbox], [role=radio], [role=switch], [role=menuitem]")]
      .filter(shown)
      .map((el) => ({ el, box: visibleBox(el) }))
      .filter(({ box }) => box.right - box.left > 1 && box.bottom - box.top > 1);
    const overlaps: string[] = [];
    const underBar: string[] = [];
    const stays = (el: Element) => { for (let a: Element | null = el; a; a = a.parentElement) if (["fixed", "sticky"].includes(getComputedStyle(a).position)) return a; return null; };
    for (let i = 0; i < controls.length; i++) {
      for (let j = i + 1; j < controls.length; j++) {
        const a = controls[i]!; const b = controls[j]!;
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
        const w = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
        const h = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
        if (w <= 2 || h <= 2) continue;
        const what = `${describe(a.el)} and ${describe(b.el)} share ${Math.round(w)}×${Math.round(h)} px`;
        if ((stays(a.el) === null) !== (stays(b.el) === null)) underBar.push(what); else overlaps.push(what);
      }
    }
    const sidewaysScroll: string[] = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) sidewaysScroll.push(`the document is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
    for (const main of document.querySelectorAll(".pf-v6-c-page__main-container, .pf-v6-c-page__main")) {
      if (main.scrollWidth > main.clientWidth + 1) sidewaysScroll.push(`${describe(main).slice(0, 60)} scrolls sideways: ${main.scrollWidth} px in ${main.clientWidth} px`);
    }
    return { clipped, overlaps, underBar, sidewaysScroll };
  });
}

describe("Host Client screens at 1280×800 and 1920×1080", () => {
  it("no page clips its text, overlaps its controls or scrolls sideways", { timeout: 600_000 }, async () => {
    const page = await logInAs(browser, host, "admin", ADMIN_PASSWORD);
    // j-web has a snapshot (and runs) once the journeys have run; alone, this test gives it one.
    if ((await host.client.listSnapshots("j-web")).snapshots.length === 0) await host.client.waitTask((await host.client.createSnapshot("j-web", { name: "screens" })).id);
    const pages: Array<[string, string]> = [
      ["inventory", "/ui/"], ["vm-overview", "/ui/vms/j-web"], ["vm-hardware", "/ui/vms/j-web/hardware"], ["vm-snapshots", "/ui/vms/j-web/snapshots"],
      ["storage", "/ui/storage"], ["networks", "/ui/networks"], ["host", "/ui/host"], ["events", "/ui/events"], ["administration", "/ui/admin"],
    ];
    const problems: Record<string, unknown> = {};
    for (const [width, height] of [[1280, 800], [1920, 1080]] as const) {
      await page.setViewportSize({ width, height });
      for (const [id, path] of pages) {
        // Once more when the page never came: a `vite build` of another session empties dist for a moment.
        await page.goto(`https://127.0.0.1:${host.port}${path}`);
        await page.getByRole("main").waitFor({ timeout: 30_000 }).catch(async () => {
          await page.goto(`https://127.0.0.1:${host.port}${path}`);
          await page.getByRole("main").waitFor();
        });
        await page.waitForLoadState("networkidle");
        await page.getByTestId("loading").first().waitFor({ state: "detached" });
        await page.mouse.move(0, 0);
        await page.screenshot({ path: `${ARTIFACTS}/screen-${width}x${height}-${id}.png` });
        const { underBar: _passing, ...found } = await findLayoutProblems(page);
        // Scrolled to the end, nothing may stay under a bar: what does could never be reached.
        await page.evaluate(() => { for (const el of [document.scrollingElement, ...document.querySelectorAll(".pf-v6-c-page__main-container, .pf-v6-c-page__main")]) if (el) el.scrollTop = el.scrollHeight; });
        const { underBar } = await findLayoutProblems(page);
        const faults = Object.fromEntries(Object.entries({ ...found, underBar }).filter(([, list]) => list.length));
        if (Object.keys(faults).length) problems[`${width}x${height} ${id}`] = faults;
      }
    }
    writeFileSync(`${ARTIFACTS}/../screens.json`, `${JSON.stringify(problems, null, 2)}\n`);
    expect(problems).toEqual({});
    await page.context().close();
  });

  it("the check finds clipped text, overlapping controls and a page wider than the window", async () => {
    const page = await logInAs(browser, host, "admin", ADMIN_PASSWORD);
    await page.getByTestId("inventory").waitFor();
    const before = await findLayoutProblems(page);
    expect({ ...before, underBar: [] }).toEqual({ clipped: [], overlaps: [], underBar: [], sidewaysScroll: [] });
    await page.evaluate(() => {
      const probe = document.createElement("div");
      Object.assign(probe.style, { position: "relative", height: "100px" });
      probe.innerHTML = `<span id="probe-clip" style="display:inline-block;width:40px;overflow:hidden;white-space:nowrap">a text far too long for its box</span>
        <span id="probe-titled" title="a text far too long for its box" style="display:inline-block;width:40px;overflow:hidden;white-space:nowrap">a text far too long for its box</span>
        <button id="probe-a" style="position:absolute;left:10px;top:40px;width:80px">A</button><button id="probe-b" style="position:absolute;left:40px;top:42px;width:80px">B</button>
        <button id="probe-under">under a bar</button><button id="probe-bar" style="position:fixed">a bar</button>
        <div style="width:5000px;height:1px"></div>`;
      document.querySelector("main")!.append(probe);
      const under = document.getElementById("probe-under")!.getBoundingClientRect();
      Object.assign(document.getElementById("probe-bar")!.style, { left: `${under.left}px`, top: `${under.top}px`, width: `${under.width}px`, height: `${under.height}px` });
    });
    const found = await findLayoutProblems(page);
    expect(found.clipped).toEqual([expect.stringContaining("probe-clip")]);
    expect(found.overlaps).toEqual([expect.stringMatching(/probe-a.*probe-b/)]);
    expect(found.underBar).toEqual(expect.arrayContaining([expect.stringMatching(/probe-bar.*probe-under|probe-under.*probe-bar/)]));
    expect(found.sidewaysScroll.length).toBeGreaterThan(0);
    await page.context().close();
  });
});
