import { describe, it, expect } from "vitest";
import { remotePath } from "./datastore.js";

describe("vmctl ds upload's REMOTE", () => {
  it("defaults to the file's name, and a trailing slash means into that directory", () => {
    expect(remotePath("/home/me/debian-12.iso", undefined)).toBe("debian-12.iso");
    expect(remotePath("debian-12.iso", "iso/")).toBe("iso/debian-12.iso");
    expect(remotePath("./a.img", "disks/b.img")).toBe("disks/b.img");
  });
});
