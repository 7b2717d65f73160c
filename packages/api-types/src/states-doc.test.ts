// docs/architecture.md shows the lifecycle table vmctld enforces: the same text, generated.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LIFECYCLE_BEGIN, LIFECYCLE_END, lifecycleTableMarkdown } from "./states-doc.js";

const page = fileURLToPath(new URL("../../../docs/architecture.md", import.meta.url));

describe("docs/architecture.md", () => {
  it("shows the lifecycle table of states.ts, every action and event (regenerate: node scripts/lifecycle-table.mjs)", () => {
    const text = readFileSync(page, "utf8");
    const start = text.indexOf(LIFECYCLE_BEGIN);
    const end = text.indexOf(LIFECYCLE_END);
    expect(start, "the page has the generated block").toBeGreaterThanOrEqual(0);
    expect(text.slice(start, end + LIFECYCLE_END.length)).toBe(lifecycleTableMarkdown());
  });
});
