#!/usr/bin/env node
// vmctl's entry point. `npm run build` also bundles the CLI into dist/bundle (a few files instead of
// about a hundred modules, each command in its own chunk), which starts several times faster; when
// the bundle is missing or older than what tsc wrote since, the modules tsc wrote run instead.
// `vmctl __complete …`, what the shell completion calls on TAB, skips commander altogether.
import { bundleState } from "./bundle-freshness.js";

const args = process.argv.slice(2);
const entry = args[0] === "__complete" ? "completion-values.js" : "cli.js";
const bundled = bundleState(`${import.meta.dirname}/bundle/`).state === "current";
const { run } = (await import(bundled ? `./bundle/${entry}` : `./${entry}`)) as { run: (args: string[]) => Promise<void> };
await run(args);
