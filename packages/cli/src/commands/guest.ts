// vmctl guest build: the demo/test guest (Debian cloud kernel + busybox initramfs), cached.
import type { Command } from "commander";
import { buildGuest } from "@vmctl/guest";
import type { GlobalOptions } from "../context.js";
import { printJson } from "../output.js";

export function registerGuest(program: Command, globals: () => GlobalOptions): void {
  const guest = program.command("guest").description("the demo guest built from Debian packages");
  guest.command("build").description("build (or reuse) the demo guest and print its paths")
    .option("--out <dir>", "where to put vmlinuz and initrd.img (default ~/.cache/vmctl/guest)")
    .option("--force", "rebuild even if cached")
    .action(async (options: { out?: string; force?: boolean }) => {
      const json = globals().json ?? false;
      const image = await buildGuest({ ...(options.out ? { outDir: options.out } : {}), ...(options.force ? { force: true } : {}), log: (line) => { if (!json) process.stderr.write(`${line}\n`); } });
      if (json) return printJson(image);
      process.stdout.write(`kernel:  ${image.kernel}\ninitrd:  ${image.initrd}\ncmdline: ${image.cmdline}\nversion: ${image.kernelVersion}${image.cached ? " (cached)" : ""}\n`);
    });
}
