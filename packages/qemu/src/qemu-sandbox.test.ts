import { describe, it, expect } from "vitest";
import { qemuEnvironment, sandboxedCommand, SANDBOX_OPTION } from "./qemu-sandbox.js";

describe("how QEMU is run", () => {
  it("as the QEMU user through setpriv: its groups (kvm), no new privileges, no capabilities, QEMU exec'd in place", () => {
    expect(sandboxedCommand("qemu-system-x86_64", ["-S"], { user: "vmctl-qemu", uid: 999, gid: 995 }, { outlivesVmctld: true })).toEqual({
      command: "setpriv",
      args: ["--reuid=999", "--regid=995", "--init-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--", "qemu-system-x86_64", "-S"],
    });
    // Anything but a VM's QEMU dies with vmctld.
    expect(sandboxedCommand("qemu-img", ["info"], { user: "vmctl-qemu", uid: 999, gid: 995 }).args).toContain("--pdeathsig=KILL");
    expect(sandboxedCommand("qemu-system-x86_64", ["-S"], null)).toEqual({ command: "qemu-system-x86_64", args: ["-S"] });
  });

  it("with an environment of PATH and LC_ALL only, whatever vmctld's holds", () => {
    process.env.VMCTL_ADMIN_PASSWORD = "secret-from-the-test";
    try {
      expect(Object.keys(qemuEnvironment()).sort()).toEqual(["LC_ALL", "PATH"]);
      expect(JSON.stringify(qemuEnvironment())).not.toContain("secret-from-the-test");
    } finally {
      delete process.env.VMCTL_ADMIN_PASSWORD;
    }
  });

  it("with every seccomp group of QEMU's sandbox denied", () => {
    expect(SANDBOX_OPTION.split(",")).toEqual(["on", "obsolete=deny", "elevateprivileges=deny", "spawn=deny", "resourcecontrol=deny"]);
  });
});
