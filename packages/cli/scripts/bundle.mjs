// Bundles the CLI as tsc wrote it (dist/cli.js, dist/completion-values.js) into dist/bundle with
// rolldown: one chunk per command module, loaded on demand, so that `vmctl ls` reads a few files
// instead of about a hundred modules. CommonJS, which Node loads with synchronous reads and no
// linking phase: measurably less work at start than the same chunks as ES modules. Writes dist/bundle/inputs.json, by which main.js refuses a
// bundle that tsc has since made stale. Run by `npm run build` and scripts/setup.sh after `tsc -b`.
import { rmSync, statSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const out = `${dist}bundle/`;

/**
 * commander loads child_process (and with it dgram and spawn's bindings) at start, only to spawn
 * executable subcommands, which vmctl has none of: it gets child_process when it first spawns. If a
 * new commander spells the line differently, the bundle is made as it is, with a warning.
 */
const spawnOnDemand = {
  name: "commander-child-process-on-demand",
  transform(code, id) {
    if (!id.endsWith("/node_modules/commander/lib/command.js")) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) {
      this.warn("commander no longer requires child_process as expected; it is bundled as it is");
      return null;
    }
    // One line changed in place: the lines below keep their places, so no source map is needed.
    return { code: code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), map: null };
  },
};

/**
 * Left out of the bundle, loaded from packages/center/dist when `vmctl cluster demo` runs: the demo
 * is no other command's cost, and a `tsc -b` of packages/center (made often) does not make the whole
 * CLI bundle stale.
 */
const external = ["@vmctl/center/demo"];

rmSync(out, { recursive: true, force: true });
const { output } = await build({
  input: { cli: `${dist}cli.js`, "completion-values": `${dist}completion-values.js` },
  platform: "node",
  logLevel: "warn",
  plugins: [spawnOnDemand],
  external,
  output: { dir: out, format: "cjs", entryFileNames: "[name].cjs", chunkFileNames: "chunk-[name]-[hash].cjs", sourcemap: true },
});

// Every file of the workspace a chunk was made from (rolldown's own helpers have ids that are not
// paths); what comes from node_modules changes only with package-lock.json, which stands for it.
const modules = output.flatMap((item) => (item.type === "chunk" ? item.moduleIds : [])).filter((id) => id.startsWith("/"));
const inputs = new Set([...modules.filter((id) => !id.includes("/node_modules/")), fileURLToPath(new URL("../../../package-lock.json", import.meta.url))]);
const manifest = {
  inputs: [...inputs].sort().map((file) => {
    const stat = statSync(file);
    return { file: relative(out, file), size: stat.size, mtimeMs: stat.mtimeMs };
  }),
};
writeFileSync(`${out}inputs.json`, `${JSON.stringify(manifest, null, 1)}\n`);
const chunks = output.filter((item) => item.type === "chunk");
process.stderr.write(`bundle: ${chunks.length} chunks from ${manifest.inputs.length} modules in ${relative(process.cwd(), out) || "."}\n`);
