// The fake driver passes the cases every VmDriver must pass (vm-driver-cases.ts), as QEMU does in
// test/system/qemu-driver.test.ts: the domain's unit tests stand on behaviour both share.
import { describe, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vmDriverCases } from "@vmctl/qemu";
import { parseDefinitionToml } from "@vmctl/definition";
import { FakeDriver } from "./fake-driver.js";
import { definition } from "./domain-host.js";

describe("FakeDriver as a VmDriver", () => {
  for (const c of vmDriverCases) {
    it(c.name, async () => {
      const root = mkdtempSync(join(tmpdir(), "vmctl-fake-driver-"));
      let n = 0;
      try {
        await c.run({
          driver: new FakeDriver(),
          runAs: null,
          spec: async () => ({ def: parseDefinitionToml(definition(`vm${n}`)), runDir: join(root, `vm${n++}`), accel: "tcg", resolvePath: (_ds, path) => path }),
        });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
