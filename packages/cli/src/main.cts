#!/usr/bin/env node
// vmctl's entry point (package.json's bin, bin/vmctl). `npm run build` also bundles the CLI into
// dist/bundle (a few CommonJS files instead of about a hundred modules, each command in its own
// chunk); when the bundle is missing or older than what tsc wrote since, the modules tsc wrote run
// instead. This file is CommonJS too: a command that never meets an ES module skips Node's ES module
// loader altogether, which costs more at start than the rest of `vmctl ls`'s own code.
// `vmctl __complete …`, what the shell completion calls on TAB, skips commander altogether.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
import freshness = require("./bundle-freshness.cjs");

type Entry = { run: (args: string[]) => Promise<void> };
const args = process.argv.slice(2);
const entry = args[0] === "__complete" ? "completion-values" : "cli";
const load = (): Promise<Entry> => (freshness.bundleState(`${__dirname}/bundle/`).state === "current"
  ? Promise.resolve(require(`./bundle/${entry}.cjs`) as Entry)
  : import(`./${entry}.js`) as Promise<Entry>);
void load().then(({ run }) => run(args));
