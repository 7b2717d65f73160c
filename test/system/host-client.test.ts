// The Host Client in Debian's Chromium (playwright-core) against a real vmctld and the demo guest.
import { describe, it, expect, beforeAll, afterAll, inject } from "vitest";
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { TestHost, ConsoleReader, guestDefinition, ADMIN_PASSWORD, GUEST_READY_LINE } from "./harness.js";

const ARTIFACTS = "test-artifacts/screenshots";
let host: TestHost;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  host = await TestHost.start();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
});

async function logIn(user: string, password: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${host.port}/`);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
  return page;
}

const stateOf = (page: Page, vm: string) => page.locator(`tr[data-vm="${vm}"] [data-testid="state"]`);

describe("Host Client", () => {
  it("log in, create and start a VM with the wizard, use both consoles, stop it from the inventory and see every change live", async () => {
    await host.client.createVm(guestDefinition("ui-other"));
    const page = await logIn("admin", ADMIN_PASSWORD);
    await expect(stateOf(page, "ui-other").textContent()).resolves.toBe("stopped");
    await page.screenshot({ path: `${ARTIFACTS}/inventory.png` });

    // The wizard: a field error from the server appears beside its field, then the VM is made and started.
    await page.getByRole("button", { name: "Create VM" }).click();
    await page.getByLabel("Name", { exact: true }).fill("ui-demo");
    await page.getByLabel("Memory").fill("lots");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Disk size").fill("");
    await page.getByLabel("A kernel (direct kernel boot)").check();
    await page.getByLabel("Kernel datastore").fill("images");
    await page.getByLabel("Kernel", { exact: true }).fill("vmlinuz");
    await page.getByLabel("Initrd").fill("initrd.img");
    await page.getByLabel("Kernel command line").fill(inject("guest").cmdline);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByText('is "lots"; expected a size with a unit').first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/wizard-field-error.png` });
    await page.getByLabel("Memory").fill("256MiB");
    await page.getByRole("button", { name: "Review" }).click();
    await page.getByRole("button", { name: "Create virtual machine" }).click();
    await page.getByRole("heading", { name: /^ui-demo/ }).waitFor();
    await expect.poll(async () => page.getByTestId("vm-state").innerText(), { timeout: 30_000 }).toBe("running");

    // Live, measured figures on the summary.
    await expect.poll(async () => page.getByTestId("metrics").innerText(), { timeout: 20_000 }).toMatch(/Memory[\s\S]*MiB of 256 MiB/);
    await page.screenshot({ path: `${ARTIFACTS}/vm-page.png` });

    await page.getByRole("tab", { name: "Console", exact: true }).click();
    const terminal = page.getByTestId("serial-console");
    await expect.poll(async () => terminal.innerText(), { timeout: 60_000 }).toContain(GUEST_READY_LINE);
    await terminal.click();
    await page.keyboard.type("echo hello-from-$((6*7))-browser\n");
    await expect.poll(async () => terminal.innerText(), { timeout: 20_000 }).toContain("hello-from-42-browser");
    await page.screenshot({ path: `${ARTIFACTS}/serial-console.png` });

    await page.getByRole("tab", { name: "Graphical console" }).click();
    await expect.poll(async () => page.getByTestId("vnc-status").innerText(), { timeout: 20_000 }).toBe("connected");
    // Drawn, not blank: the canvas holds more than one colour once the first frame arrived.
    await expect.poll(async () => page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
      if (!canvas || canvas.width === 0) return 0;
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < pixels.length && colours.size < 3; i += 4 * 97) colours.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
      return colours.size;
    }), { timeout: 20_000 }).toBeGreaterThan(1);
    await page.screenshot({ path: `${ARTIFACTS}/graphical-console.png` });

    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
    await page.getByRole("button", { name: "Stop ui-demo" }).click();
    await page.waitForFunction(() => document.querySelector('tr[data-vm="ui-demo"] [data-testid="state"]')?.textContent === "stopped", undefined, { timeout: 90_000 });
    const tasks = page.getByTestId("tasks");
    await expect.poll(async () => tasks.innerText(), { timeout: 10_000 }).toMatch(/vm\.stop[\s\S]*vm\.start/);
    await page.screenshot({ path: `${ARTIFACTS}/inventory-after-stop.png`, fullPage: true });

    // Bulk actions on a selection go through the batch endpoint.
    await page.locator('tr[data-vm="ui-demo"] input[type=checkbox]').check();
    await page.locator('tr[data-vm="ui-other"] input[type=checkbox]').check();
    await page.getByRole("button", { name: "Start 2 selected" }).click();
    await page.waitForFunction(() => ["ui-demo", "ui-other"].every((vm) => document.querySelector(`tr[data-vm="${vm}"] [data-testid="state"]`)?.textContent === "running"), undefined, { timeout: 30_000 });
    await expect.poll(async () => tasks.innerText(), { timeout: 10_000 }).toContain("vms.batch");
    // A graceful stop needs a guest that listens for the power button: wait until both have booted.
    for (const vm of ["ui-demo", "ui-other"]) {
      const reader = await ConsoleReader.open(host.client, vm);
      await reader.waitFor(GUEST_READY_LINE);
      reader.close();
    }
    await page.locator('tr[data-vm="ui-demo"] input[type=checkbox]').check();
    await page.locator('tr[data-vm="ui-other"] input[type=checkbox]').check();
    await page.getByRole("button", { name: "Stop 2 selected" }).click();
    await page.waitForFunction(() => ["ui-demo", "ui-other"].every((vm) => document.querySelector(`tr[data-vm="${vm}"] [data-testid="state"]`)?.textContent === "stopped"), undefined, { timeout: 90_000 });

    // The definition editor saves with If-Match and the inventory shows the change.
    await page.getByRole("button", { name: "ui-other", exact: true }).click();
    await page.getByRole("tab", { name: "Edit definition" }).click();
    const editor = page.getByLabel("Definition (TOML)");
    await editor.fill((await editor.inputValue()).replace('memory = "256MiB"', 'memory = "320MiB"'));
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
    await expect.poll(async () => page.locator('tr[data-vm="ui-other"]').innerText()).toContain("320 MiB");
    await page.context().close();
  });

  it("host, events and administration pages; the first load stays small and quick", async () => {
    const page = await logIn("admin", ADMIN_PASSWORD);
    await page.getByRole("link", { name: "Host" }).click();
    await page.getByText("Accelerator").waitFor();
    expect(await page.getByRole("main").innerText()).toMatch(/(TCG|KVM)/);
    await page.screenshot({ path: `${ARTIFACTS}/host.png` });
    await page.getByRole("link", { name: "Events" }).click();
    await expect.poll(async () => page.getByTestId("events").innerText()).toContain("vm.created");
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("tab", { name: "Audit log" }).click();
    await expect.poll(async () => page.getByTestId("audit").innerText()).toContain("POST /api/v1/login");
    await page.screenshot({ path: `${ARTIFACTS}/admin-audit.png` });
    await page.context().close();

    // First load: the login page of a fresh browser, its bytes (gzip) and when it answers input.
    const fresh = await browser.newContext({ ignoreHTTPSErrors: true });
    const first = await fresh.newPage();
    const transferred: string[] = [];
    first.on("response", (r) => { if (r.url().includes("/ui/")) transferred.push(new URL(r.url()).pathname); });
    const t0 = Date.now();
    await first.goto(`https://127.0.0.1:${host.port}/ui/`);
    await first.getByLabel("User name").waitFor();
    const interactiveMs = Date.now() - t0;
    const { gzipSync } = await import("node:zlib");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const dist = `${import.meta.dirname}/../../packages/web/dist`;
    const gzipBytes = transferred.filter((p) => /\.(js|css|html)$/.test(p) || p.endsWith("/ui/")).reduce((sum, p) => sum + gzipSync(readFileSync(p.endsWith("/ui/") ? `${dist}/index.html` : `${dist}${p.slice(3)}`)).length, 0);
    expect(transferred.some((p) => /SerialConsole|GraphicalConsole/.test(p))).toBe(false); // consoles load only when opened
    writeFileSync(`${ARTIFACTS}/../ui-first-load.json`, JSON.stringify({ files: transferred, gzipBytes, interactiveMs }, null, 2));
    process.stdout.write(`Host Client first load: ${(gzipBytes / 1024).toFixed(0)} KiB gzip, login form usable after ${interactiveMs} ms\n`);
    await fresh.close();
  });

  it("a ReadOnly user sees the inventory and the console's output but no power controls, and cannot type", async () => {
    await host.client.call("POST", "/api/v1/users", { username: "viewer", password: "viewer-password", role: "ReadOnly" });
    await host.client.createVm(guestDefinition("ui-ro"));
    expect((await host.cli(["start", "ui-ro"])).code).toBe(0);
    const page = await logIn("viewer", "viewer-password");
    await page.waitForFunction(() => document.querySelector('tr[data-vm="ui-ro"] [data-testid="state"]')?.textContent === "running");
    expect(await page.getByRole("button", { name: /^(Start|Stop|Shut down) / }).count()).toBe(0);
    await page.getByRole("button", { name: "ui-ro", exact: true }).click();
    expect(await page.getByRole("button", { name: "Start" }).count()).toBe(0);
    await page.getByRole("tab", { name: "Console", exact: true }).click();
    const terminal = page.getByTestId("serial-console");
    await expect.poll(async () => terminal.innerText(), { timeout: 60_000 }).toContain(GUEST_READY_LINE);
    await expect(page.getByText("read only").count()).resolves.toBe(1);
    await terminal.click();
    await page.keyboard.type("echo typed-by-viewer\n");
    await page.waitForTimeout(1500);
    expect(await terminal.innerText()).not.toContain("typed-by-viewer");
    await page.screenshot({ path: `${ARTIFACTS}/readonly-console.png` });
    // The console in its own window shows the same shared console.
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open in its own window" }).click()]);
    await expect.poll(async () => popup.getByTestId("serial-console").innerText(), { timeout: 30_000 }).toContain(GUEST_READY_LINE);
    await page.context().close();
    expect((await host.cli(["stop", "--force", "ui-ro"])).code).toBe(0);
  });
});
