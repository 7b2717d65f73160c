// CLI entry: node packages/guest/dist/main.js [--out DIR] [--force] [--json] builds the guest and prints its paths.
import { parseArgs } from "node:util";
import { buildGuest } from "./build.js";

const USAGE = "usage: main.js [--out DIR] [--force] [--json]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { out: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Progress goes to stderr so stdout stays parseable (paths or JSON).
  const image = await buildGuest({
    ...(values.out !== undefined ? { outDir: values.out } : {}),
    force: values.force ?? false,
    log: (line) => process.stderr.write(`guest: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(image, null, 2)}\n`);
  } else {
    process.stdout.write(
      `kernel  ${image.kernel}\ninitrd  ${image.initrd}\ndisk    ${image.disk}\ncmdline ${image.cmdline}\nversion ${image.kernelVersion}${image.cached ? " (cached)" : ""}\n`,
    );
  }
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`guest: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
