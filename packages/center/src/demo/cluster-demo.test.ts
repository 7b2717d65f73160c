// The demo is loaded by the CLI's bundle (`vmctl cluster demo`), which must never pull in etcd3 or
// the rest of vmcenter: its files import only Node, the client and the wire types, and each other.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIR = import.meta.dirname;
const ALLOWED = [/^node:/, /^@vmctl\/client$/, /^@vmctl\/api-types$/, /^\.\/[a-z-]+\.js$/];

describe("the cluster demo's imports", () => {
  it("reach only Node, @vmctl/client, @vmctl/api-types and the demo's own files", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files).toContain("cluster-demo.ts");
    const offenders = files.flatMap((file) => [...readFileSync(join(DIR, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((spec) => !ALLOWED.some((pattern) => pattern.test(spec)))
      .map((spec) => `${file}: ${spec}`));
    expect(offenders).toEqual([]);
  });
});
