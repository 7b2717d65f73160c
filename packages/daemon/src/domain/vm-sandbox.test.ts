import { describe, it, expect, vi, afterEach } from "vitest";
import { validateDefinition } from "@vmctl/definition";

const identity = vi.hoisted(() => ({ current: null as { user: string; uid: number; gid: number } | null }));
vi.mock("../security/qemu-user.js", async (original) => ({
  ...(await original<typeof import("../security/qemu-user.js")>()),
  qemuIdentity: () => identity.current,
}));
const { qemuRunAs, definitionFiles } = await import("./vm-sandbox.js");

afterEach(() => { vi.restoreAllMocks(); identity.current = null; });

describe("qemuRunAs", () => {
  it("refuses, as root without the QEMU user, to run QEMU at all, and says to run the set-up", () => {
    vi.spyOn(process, "getuid").mockReturnValue(0);
    expect(() => qemuRunAs()).toThrow(/"vmctl-qemu" that runs QEMU does not exist; run the set-up as root .*then restart vmctld: it never runs QEMU as root/);
  });

  it("runs QEMU as the QEMU user when vmctld is root, as vmctld's own user otherwise", () => {
    vi.spyOn(process, "getuid").mockReturnValue(0);
    identity.current = { user: "vmctl-qemu", uid: 999, gid: 995 };
    expect(qemuRunAs()).toEqual({ user: "vmctl-qemu", uid: 999, gid: 995 });
    vi.spyOn(process, "getuid").mockReturnValue(1000);
    expect(qemuRunAs()).toBeNull();
  });
});

describe("definitionFiles", () => {
  it("lists what QEMU opens, writable only for disks not marked readonly", () => {
    const def = validateDefinition({
      name: "a", boot: { kernel: "k", initrd: "i" },
      disks: { d: { file: "a/d.qcow2" }, base: { file: "b.img", readonly: true, datastore: "other" } }, cdroms: { cd: { iso: "x.iso" }, empty: {} },
    });
    const files = definitionFiles(def, (ds, path) => `/${ds ?? "local"}/${path}`);
    expect(files).toEqual([
      { path: "/local/k", writable: false, field: "boot.kernel" },
      { path: "/local/i", writable: false, field: "boot.initrd" },
      { path: "/local/a/d.qcow2", writable: true, field: "disks.d.file", format: "qcow2" },
      { path: "/other/b.img", writable: false, field: "disks.base.file", format: "raw" },
      { path: "/local/x.iso", writable: false, field: "cdroms.cd.iso" },
    ]);
  });
});
