// Random and hostile JSON bodies at the API: never a 500, never a crash, always a clear 4xx error body.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import fc from "fast-check";
import { TestHost, guestDefinition } from "./harness.js";

let host: TestHost;
beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm(guestDefinition("fz"));
});
afterAll(async () => { await host?.close(); });

const keys = fc.constantFrom("name", "action", "names", "pattern", "timeout", "force", "cpus", "memory", "disks", "boot", "keys", "text", "username", "password", "role", "expires", "privileges", "user", "__proto__", "constructor", "prototype");
const leaf = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom("start", "stop", "fz", "../../etc", "Admin", "*", "ctrl", "512MiB", "\u0000", "9".repeat(400)));
const body = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(keys, tie("value"), { maxKeys: 6 })),
})).value;

const targets: Array<[string, string]> = [
  ["POST", "/api/v1/vms"], ["PATCH", "/api/v1/vms/fz"], ["PUT", "/api/v1/vms/fz"], ["POST", "/api/v1/vms/fz/power"],
  ["POST", "/api/v1/vms:batch"], ["POST", "/api/v1/vms/fz/sendkey"], ["POST", "/api/v1/login"], ["POST", "/api/v1/users"],
  ["POST", "/api/v1/tokens"], ["POST", "/api/v1/roles"], ["PATCH", "/api/v1/users/admin"], ["PUT", "/api/v1/users/admin/grants/fz"],
];

describe("API under random JSON bodies", () => {
  it("answers every body with success or a 4xx error in the one error shape", async () => {
    const failures: string[] = [];
    for (const [method, path] of targets) {
      await fc.assert(fc.asyncProperty(body, async (value) => {
        const response = await host.client.raw(method, path, { type: "application/json", text: JSON.stringify(value) });
        if (response.status >= 500) failures.push(`${method} ${path} ${JSON.stringify(value).slice(0, 200)} → ${response.status} ${response.text.slice(0, 200)}`);
        if (response.status >= 400) {
          const error = (JSON.parse(response.text) as { error?: { code?: unknown; message?: unknown } }).error;
          expect(typeof error?.code).toBe("string");
          expect(typeof error?.message).toBe("string");
        }
      }), { numRuns: 120 });
    }
    expect(failures).toEqual([]);
    // The daemon is still there and its state is sane.
    expect((await host.client.getVm("fz")).state).toMatch(/stopped|running|paused|starting|stopping/);
    const running = await host.client.listVms("running");
    for (const vm of running) await host.client.waitTask((await host.client.power(vm.name, { action: "stop", force: true })).id);
  });

  it("garbage that is not JSON at all is a 400, and the daemon stays up", async () => {
    for (const text of ["{", "[1,2", "\u0000\u0001", "null", "\"just a string\"", "{\"a\":" + "[".repeat(5000)]) {
      const response = await host.client.raw("POST", "/api/v1/vms", { type: "application/json", text });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect((await host.client.host()).hostname.length).toBeGreaterThan(0);
  });
});
