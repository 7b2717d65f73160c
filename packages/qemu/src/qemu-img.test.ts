// How qemu-img convert is run: vmctld's own images as vmctld, an imported one unprivileged through
// setpriv with QEMU's clean environment, written into a target made beforehand.
import { describe, it, expect } from "vitest";
import { convertCommand, qemuImgCommand } from "./qemu-img.js";

const qemuUser = { user: "vmctl-qemu", uid: 999, gid: 995 };
const base = { source: "/ds/.import-1/disk.vmdk", sourceFormat: "vmdk", target: "/ds/vm/disk0.qcow2", targetFormat: "qcow2" } as const;

describe("convertCommand", () => {
  it("runs as vmctld, with its environment, when no runAs is given (vmctld's own images)", () => {
    expect(convertCommand(base)).toEqual({
      command: "qemu-img",
      args: ["convert", "-p", "-W", "-m", "8", "-f", "vmdk", "-O", "qcow2", base.source, base.target],
    });
  });

  it("runs an imported image's convert as the QEMU user: setpriv with no capabilities, no_new_privs, killed with vmctld, two variables", () => {
    const command = convertCommand({ ...base, runAs: qemuUser, existingTarget: true });
    expect(command.command).toBe("setpriv");
    expect(command.args).toEqual([
      "--reuid=999", "--regid=995", "--init-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--pdeathsig=KILL", "--",
      "qemu-img", "convert", "-p", "-W", "-m", "8", "-n", "--target-is-zero", "-f", "vmdk", "-O", "qcow2", base.source, base.target,
    ]);
    expect(command.env).toEqual({ PATH: expect.any(String), LC_ALL: "C" });
    expect(Object.keys(command.env!).some((name) => name.startsWith("VMCTL_"))).toBe(false);
  });

  it("with runAs null (vmctld is not root) runs qemu-img directly, still with the clean environment", () => {
    const command = convertCommand({ ...base, runAs: null });
    expect(command.command).toBe("qemu-img");
    expect(command.args[0]).toBe("convert");
    expect(Object.keys(command.env!).sort()).toEqual(["LC_ALL", "PATH"]);
  });

  it("names a target handed over as a descriptor /dev/fd/3, so no folder above it must be passable", () => {
    expect(convertCommand({ ...base, runAs: qemuUser, existingTarget: true, targetDescriptor: 21 }).args.slice(-2)).toEqual([base.source, "/dev/fd/3"]);
  });

  it("keeps a snapshot's -U -l and the -o options of a target it creates, and refuses -o on an existing target", () => {
    expect(convertCommand({ ...base, snapshot: "s1", options: "subformat=streamOptimized", targetFormat: "vmdk" }).args)
      .toEqual(["convert", "-p", "-W", "-m", "8", "-f", "vmdk", "-U", "-l", "snapshot.name=s1", "-O", "vmdk", "-o", "subformat=streamOptimized", base.source, base.target]);
    expect(() => convertCommand({ ...base, existingTarget: true, options: "compat=1.1" })).toThrow(TypeError);
  });
});

describe("qemuImgCommand", () => {
  it("puts setpriv in front of qemu-img info for an image from outside", () => {
    expect(qemuImgCommand(["info", "--output=json", "-f", "vmdk", "/x.vmdk"], qemuUser)).toMatchObject({
      command: "setpriv", args: expect.arrayContaining(["--no-new-privs", "--", "qemu-img", "info", "--output=json", "-f", "vmdk", "/x.vmdk"]),
      env: { LC_ALL: "C" },
    });
  });
});
