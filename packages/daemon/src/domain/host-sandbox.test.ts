import { describe, it, expect, vi, afterEach } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const shared = vi.hoisted(() => [] as string[]);
vi.mock("../security/qemu-user.js", () => ({
  QEMU_USER: "vmctl-qemu",
  qemuIdentity: () => ({ user: "vmctl-qemu", uid: 999, gid: 995 }),
  shareDirWithQemu: async (path: string) => { shared.push(path); },
  folderBlockingQemu: async () => null,
}));
const { secureHome } = await import("./host-sandbox.js");

const homes: string[] = [];
afterEach(() => { shared.length = 0; for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true }); });

describe("secureHome", () => {
  it("lets QEMU pass through the home, run/ and the folders down to each datastore inside it, and makes everything else there private", async () => {
    const home = mkdtempSync(join(tmpdir(), "vmctl-home-test-"));
    homes.push(home);
    mkdirSync(join(home, "datastores/local"), { recursive: true, mode: 0o755 });
    mkdirSync(join(home, "vms/big"), { recursive: true, mode: 0o755 });
    mkdirSync(join(home, "tls"), { mode: 0o755 });
    writeFileSync(join(home, "vmctld.db"), "", { mode: 0o644 });
    writeFileSync(join(home, "vmctld.log"), "", { mode: 0o640 });
    const log = { warn: vi.fn() } as unknown as import("pino").Logger;
    await secureHome(home, join(home, "run"), { local: join(home, "datastores/local"), big: join(home, "vms/big"), far: "/srv/vmstore" }, log);
    expect(shared.sort()).toEqual([home, join(home, "datastores"), join(home, "datastores/local"), join(home, "run"), join(home, "vms"), join(home, "vms/big")].sort());
    const mode = (name: string) => statSync(join(home, name)).mode & 0o777;
    expect([mode("vmctld.db"), mode("vmctld.log"), mode("tls")]).toEqual([0o600, 0o600, 0o700]);
    expect(mode("vms")).toBe(0o755); // left to shareDirWithQemu (mocked here), not made private
  });
});
