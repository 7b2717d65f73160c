// The wizard's rules without a browser: the definition its choices make, the review in words, and
// which checks hold a step.
import { describe, expect, it } from "vitest";
import { buildDefinition, checkState, copiedDiskPath, initialState, reviewSentences, type WizardState } from "./wizard-model";

const ctx = { defaultDatastore: "default", networks: undefined, kind: () => "NAT" };
const state = (patch: Partial<WizardState>): WizardState => ({ ...initialState(), ...patch });

describe("wizard model", () => {
  it("says the VM of the brief's example in words", () => {
    const s = state({ name: "web01", cpus: 2, memory: "2GiB", disk: "20GiB", boot: "iso", iso: { datastore: "default", path: "iso/debian-12.iso" } });
    const [first] = reviewSentences(s, ctx);
    expect(first).toBe("web01: 2 CPUs, 2 GiB memory, q35 with BIOS; a new 20 GiB virtio disk on datastore default; boots from the ISO debian-12.iso; NIC net0 on default; serial and graphical consoles; starts once created.");
    expect(reviewSentences(s, ctx).join(" ")).not.toMatch(/[{}]/);
  });

  it("makes an ISO VM boot the CD first, and names no file for a new disk", () => {
    const def = buildDefinition(state({ name: "a", boot: "iso", iso: { datastore: "local", path: "iso/x.iso" }, disk: "8GiB", bus: "sata" }));
    expect(def).toMatchObject({ disks: { disk0: { size: "8GiB", bus: "sata" } }, cdroms: { cdrom0: { iso: "iso/x.iso", datastore: "local" } }, boot: { order: ["cdrom0", "disk0"] } });
    expect((def.disks as Record<string, object>).disk0).not.toHaveProperty("file");
  });

  it("uses a disk image in place, or leaves it out of the definition to copy it into the VM's folder", () => {
    const image = { datastore: "images", path: "cloud/debian.qcow2" };
    expect(buildDefinition(state({ name: "b", boot: "image", image, imageUse: "in-place" })).disks).toEqual({ disk0: { file: "cloud/debian.qcow2", datastore: "images" } });
    const copy = state({ name: "b", boot: "image", image, imageUse: "copy" });
    expect(buildDefinition(copy)).not.toHaveProperty("disks");
    expect(copiedDiskPath(copy)).toBe("b/disk0.qcow2");
    expect(copiedDiskPath(state({ name: "c", boot: "image", image: { datastore: "x", path: "raw.img" } }))).toBe("c/disk0.img");
  });

  it("checks a missing name and file, and leaves an unreadable size to vmctld's words", () => {
    expect(checkState(state({ name: "" })).map((i) => i.field)).toEqual(["name"]);
    expect(checkState(state({ name: "ok", boot: "image" })).map((i) => i.field)).toEqual(["disks"]);
    expect(checkState(state({ name: "ok", memory: "lots" }))[0]?.message).toContain('is "lots"; expected a size with a unit');
    expect(checkState(state({ name: "ok", startFrom: "template" })).map((i) => i.field)).toEqual(["template"]);
  });

  it("says a template deploy and the cloud-init seed", () => {
    expect(reviewSentences(state({ name: "d", startFrom: "template", template: "tpl", start: false }), ctx)[0]).toMatch(/^d: a linked clone of the template tpl, .* stays stopped once created\.$/);
    const cloud = { hostname: "h", user: "bob", key: "ssh-ed25519 AAAA bob@laptop", passwordHash: "", sudo: false };
    expect(reviewSentences(state({ name: "e", cloud }), ctx)[1]).toBe('First boot (cloud-init): host name h; user bob who logs in with ssh-ed25519 key "bob@laptop", password locked.');
  });
});
