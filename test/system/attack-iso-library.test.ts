// The ISO library over HTTPS: a datastore whose iso/ folder holds a symlink to a host file (here
// /etc/shadow) must never show that file's size or checksum in GET /api/v1/isos, nor hash it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestHost, ADMIN_PASSWORD } from "./harness.js";
import { https, login } from "./https-support.js";

let host: TestHost;
let store: string;

beforeAll(async () => {
  host = await TestHost.start();
  store = mkdtempSync(join(tmpdir(), "vmctl-isolib-"));
  mkdirSync(join(store, "iso"));
  writeFileSync(join(store, "iso", "ok.iso"), Buffer.alloc(8192, 1));
  symlinkSync("/etc/shadow", join(store, "iso", "evil.iso"));
  await host.client.call("POST", "/api/v1/datastores", { name: "isolib", path: store });
});
afterAll(async () => {
  await host?.close();
  rmSync(store, { recursive: true, force: true });
});

interface Iso { datastore: string; name: string; size: number; sha256: string | null; checksumPending: boolean }

describe("the ISO library and symlinks", () => {
  it("iso/evil.iso -> /etc/shadow is never listed, sized or hashed; the real ISO is", async () => {
    const session = await login(host.port, "admin", ADMIN_PASSWORD);
    const shadow = readFileSync("/etc/shadow");
    const shadowSha = createHash("sha256").update(shadow).digest("hex");
    let isos: Iso[] = [];
    for (const deadline = Date.now() + 30_000; ;) {
      const answer = await https(host.port, "GET", "/api/v1/isos", session);
      expect(answer.status).toBe(200);
      isos = (answer.json().isos as Iso[]).filter((iso) => iso.datastore === "isolib");
      expect(answer.body).not.toContain("evil");
      expect(answer.body).not.toContain(shadowSha);
      if (isos.every((iso) => !iso.checksumPending) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(isos).toEqual([expect.objectContaining({ name: "ok.iso", size: 8192, sha256: createHash("sha256").update(Buffer.alloc(8192, 1)).digest("hex") })]);
    expect(isos.some((iso) => iso.size === statSync("/etc/shadow").size && iso.name !== "ok.iso")).toBe(false);
  });
});
