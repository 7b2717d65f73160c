import { describe, it, expect } from "vitest";
import type { Snapshot } from "@vmctl/api-types";
import { snapshotTree } from "./snapshot-tree.js";

const snap = (name: string, parent: string | null): Snapshot => ({
  name, parent, description: "", createdAt: "2025-01-01T00:00:00.000Z", memory: false, vmState: "stopped", disks: ["disk0"], current: false, children: [],
});
const labels = (snapshots: Snapshot[], current: string | null) => snapshotTree({ current, snapshots }).map((r) => r.label);

describe("snapshotTree", () => {
  it("draws children under their parent and hangs 'you are here' under the current snapshot", () => {
    expect(labels([snap("base", null), snap("upgrade", "base"), snap("test", "upgrade"), snap("other", "base")], "upgrade")).toEqual([
      "base",
      "├─ upgrade",
      "│  ├─ test",
      "│  └─ you are here",
      "└─ other",
    ]);
  });

  it("puts 'you are here' at the top level when no snapshot is current, and keeps several roots", () => {
    expect(labels([snap("a", null), snap("b", null), snap("c", "b")], null)).toEqual(["a", "b", "└─ c", "you are here"]);
  });

  it("treats a snapshot whose parent is gone as a root", () => {
    expect(labels([snap("orphan", "deleted")], "orphan")).toEqual(["orphan", "└─ you are here"]);
  });
});
