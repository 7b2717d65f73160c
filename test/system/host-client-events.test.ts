// The Host Client's events in words (one row per action, with who did it) and the definition
// editor's errors (the line they are on, no host path), in Debian's Chromium against a real vmctld
// and the demo guest.
import { describe, it, expect } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { ApiError } from "@vmctl/client";
import { TestHost, guestDefinition, ADMIN_PASSWORD } from "./harness.js";
import { withBrowserHost, ARTIFACTS, logIn as logInAs, unnamedControls } from "./browser.js";

let host: TestHost;
let browser: Browser;
const VM = `ev-${process.pid}`;

withBrowserHost((h, b) => { host = h; browser = b; });

const logIn = () => logInAs(browser, host, "admin", ADMIN_PASSWORD);

/** The rows of an events table whose sentence is exactly `sentence`. */
const rowsSaying = (table: Locator, sentence: string) => table.locator("tr[data-event-row]").filter({ has: table.page().getByTestId("event-sentence").getByText(sentence, { exact: true }) });

async function openVm(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Virtual machines" }).click();
  await page.getByRole("link", { name: VM, exact: true }).click();
  await page.getByRole("heading", { name: new RegExp(`^${VM}`) }).waitFor();
}

describe("Host Client: events in words, definition errors on their line", () => {
  it("a start and a stop through the Host Client read as one row each, with the user, on the Events page and the VM's Events tab", async () => {
    await host.client.createVm(guestDefinition(VM));
    const page = await logIn();
    await openVm(page);
    await page.getByRole("button", { name: "Start", exact: true }).click();
    await expect.poll(async () => page.getByTestId("vm-state").innerText(), { timeout: 60_000 }).toBe("running");
    await page.getByRole("button", { name: `Power actions for ${VM}` }).click();
    await page.getByRole("menuitem", { name: "Stop (power off)" }).click();
    await expect.poll(async () => page.getByTestId("vm-state").innerText(), { timeout: 60_000 }).toBe("stopped");

    // The events API says who and which task: the four events of the start share one task and name admin.
    const stored = await host.client.listEvents({ vm: VM });
    const startTask = stored.find((e) => e.type === "task.created" && ["vm.start", "vm.set_state"].includes(e.data.op));
    if (startTask?.type !== "task.created") throw new Error(`no start task among ${stored.map((e) => e.type).join(", ")}`);
    const ofStart = stored.filter((e) => e.task === startTask.data.task);
    expect(ofStart.map((e) => e.type)).toEqual(["task.created", "vm.state", "vm.state", "task.finished"]);
    expect(new Set(ofStart.map((e) => e.user))).toEqual(new Set(["admin"]));
    // The stop's exit is the stop's too (not nobody's, as QEMU's own exit handler would have it).
    const stopTask = stored.find((e) => e.type === "task.created" && e.data.op === "vm.stop");
    if (stopTask?.type !== "task.created") throw new Error("no stop task");
    expect(stored.filter((e) => e.task === stopTask.data.task).map((e) => [e.type, e.type === "vm.state" ? e.data.to : "", e.user])).toEqual([
      ["task.created", "", "admin"], ["vm.state", "stopping", "admin"], ["vm.state", "stopped", "admin"], ["task.finished", "", "admin"],
    ]);
    // Made through the unix socket, outside any task: root's, no task.
    expect(stored.find((e) => e.type === "vm.created")).toMatchObject({ user: "root (unix socket)", task: null });

    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Events" }).click();
    const events = page.getByTestId("events");
    await expect.poll(async () => rowsSaying(events, `admin started ${VM}`).count()).toBe(1);
    await expect.poll(async () => rowsSaying(events, `admin stopped ${VM} (power off)`).count()).toBe(1);
    const started = rowsSaying(events, `admin started ${VM}`);
    expect(await started.locator('td[data-label="User"]').innerText()).toBe("admin");
    // One row for the action, its four records a click away.
    await started.getByRole("button", { name: `Records of: admin started ${VM}` }).click();
    const records = events.getByTestId("event-records");
    await expect.poll(async () => records.innerText()).toMatch(/task\.created[\s\S]*vm\.state[\s\S]*vm\.state[\s\S]*task\.finished/);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/events-in-words.png`, fullPage: true });

    await openVm(page);
    await page.getByRole("tab", { name: "Events" }).click();
    const vmEvents = page.getByTestId("vm-events");
    await expect.poll(async () => rowsSaying(vmEvents, `admin started ${VM}`).count()).toBe(1);
    expect(await rowsSaying(vmEvents, `admin stopped ${VM} (power off)`).locator('td[data-label="User"]').innerText()).toBe("admin");
    expect(await vmEvents.innerText()).toContain(`root (unix socket) created ${VM}`);
    // The start's four records read as one row: no raw event types until one is opened.
    expect(await vmEvents.innerText()).not.toMatch(/task\.created|vm\.state/);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/vm-events-in-words.png`, fullPage: true });
    await page.context().close();
  });

  it("the definition editor names the line of a TOML error and of a field's error, marks it, and never shows a host path", async () => {
    // The API answer itself names no path under vmctld's home.
    const { text, etag } = await host.client.getDefinition(VM);
    const refused = await host.client.putDefinition(VM, `${text}\ncpus = = 2\n`, etag).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    const answer = JSON.stringify({ message: (refused as ApiError).message, details: (refused as ApiError).details });
    expect(answer).toMatch(/invalid TOML/);
    expect(answer).not.toContain(host.home);
    expect(answer).not.toMatch(/"\/|\s\/(tmp|var|home)\//);

    const page = await logIn();
    await openVm(page);
    await page.getByRole("tab", { name: "Edit definition" }).click();
    const editor = page.getByLabel("Definition (TOML)");
    const original = await editor.inputValue();
    const lines = original.split("\n");
    // A syntax error on line 2.
    await editor.fill([lines[0], "cpus = = 2", ...lines.slice(1)].join("\n"));
    await page.getByRole("button", { name: "Save" }).click();
    const problems = page.getByTestId("definition-problems");
    await expect.poll(async () => problems.innerText()).toMatch(/line 2: invalid TOML/);
    expect(await problems.innerText()).not.toContain(host.home);
    expect(await page.getByRole("main").innerText()).not.toContain(host.home);
    expect(await page.getByTestId("definition-marked-line").getAttribute("data-line")).toBe("2");
    expect(await page.getByTestId("definition-gutter").innerText()).toMatch(/^1\s+2\s+3/);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/definition-toml-error.png`, fullPage: true });

    // A field's error: the line of that field, and "Go to line N" selects it.
    // At the top level, before any [table]: a top-level field.
    const withBadCpus = [lines[0]!, "cpus = 0", ...lines.slice(1).filter((l) => !/^cpus\s*=/.test(l))];
    const cpusLine = withBadCpus.indexOf("cpus = 0") + 1;
    await editor.fill(withBadCpus.join("\n"));
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => problems.innerText()).toMatch(new RegExp(`line ${cpusLine}: cpus: is 0`));
    await page.getByRole("button", { name: `Go to line ${cpusLine}` }).click();
    expect(await editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd))).toBe("cpus = 0");
    expect(await problems.innerText()).not.toContain(host.home);
    await page.screenshot({ path: `${ARTIFACTS}/definition-field-error.png`, fullPage: true });

    // A good save is a request outside any task: its event names the user who made it.
    await editor.fill(original.replace('memory = "256MiB"', 'memory = "288MiB"'));
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await host.client.listEvents({ vm: VM, type: "vm.definition_changed" })).map((e) => [e.user, e.task])).toEqual([["admin", null]]);
    await page.getByRole("tab", { name: "Events" }).click();
    await expect.poll(async () => page.getByTestId("vm-events").innerText()).toContain(`admin changed the definition of ${VM}`);
    await page.context().close();
  });
});
