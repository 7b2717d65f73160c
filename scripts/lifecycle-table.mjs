// Rewrites the lifecycle table in docs/architecture.md from packages/api-types (run after `npm run build`).
import { readFileSync, writeFileSync } from "node:fs";
import { LIFECYCLE_BEGIN, LIFECYCLE_END, lifecycleTableMarkdown } from "../packages/api-types/dist/states-doc.js";

const page = new URL("../docs/architecture.md", import.meta.url);
const text = readFileSync(page, "utf8");
const start = text.indexOf(LIFECYCLE_BEGIN);
const end = text.indexOf(LIFECYCLE_END);
if (start < 0 || end < 0) throw new Error("docs/architecture.md has no lifecycle-table block");
writeFileSync(page, text.slice(0, start) + lifecycleTableMarkdown() + text.slice(end + LIFECYCLE_END.length));
console.log("docs/architecture.md: lifecycle table rewritten");
