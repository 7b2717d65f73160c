#!/usr/bin/env node
// vmctl's entry point. `npm run build` also bundles the CLI into dist/bundle (a few files instead of
// about a hundred modules, each command in its own chunk), which starts several times faster; when
// the bundle is missing or older than what tsc wrote since, the modules tsc wrote run instead.
// `vmctl __complete …`, what the shell completion calls on TAB, skips commander altogether.
import { createRequire } from "node:module";
import { bundleState } from "./bundle-freshness.js";

type Entry = { run: (args: string[]) => Promise<void> };
const args = process.argv.slice(2);
const entry = args[0] === "__complete" ? "completion-values" : "cli";
// The bundle is CommonJS (see scripts/bundle.mjs); what tsc wrote is ES modules.
const { run } = bundleState(`${import.meta.dirname}/bundle/`).state === "current"
  ? createRequire(import.meta.url)(`./bundle/${entry}.cjs`) as Entry
  : await import(`./${entry}.js`) as Entry;
await run(args);
