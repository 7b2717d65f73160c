// vmctl guest build: the demo/test guest (Debian cloud kernel + busybox initramfs), or with --debian the Debian 12 guest; cached.
import type { Command } from "commander";
import { buildDebianGuest, buildGuest } from "@vmctl/guest";
import type { GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";
import { clientFor } from "../context.js";
import { readSecret } from "../secret-input.js";

export function registerGuest(program: Command, globals: () => GlobalOptions): void {
  const guest = program.command("guest").description("the demo guest built from Debian packages, and a guest's agent");
  guest.command("password").description("set a guest user's password through the VM's QEMU guest agent (read from a prompt, or from stdin)")
    .argument("<vm>").argument("<user>", "the user in the guest")
    .option("--password-stdin", "read the password from standard input (one line)")
    .action(async (vm: string, user: string, options: { passwordStdin?: boolean }) => {
      const fromStdin = options.passwordStdin ?? false;
      const password = await readSecret(`new password for ${user} in ${vm}: `, fromStdin);
      if (!fromStdin && process.stdin.isTTY && password !== (await readSecret("again: ", false))) throw new CliError("the passwords differ; nothing changed", "bad_request");
      if (!password) throw new CliError("the password is empty; nothing changed", "bad_request", 2);
      const answer = await clientFor(globals()).setGuestPassword(vm, { user, password });
      if (globals().json) return printJson(answer);
      process.stdout.write(`password of ${user} set in ${vm} (guest agent)\n`);
    });
  guest.command("build").description("build (or reuse) the demo guest and print its paths")
    .option("--out <dir>", "where to put vmlinuz and initrd.img (default ~/.cache/vmctl/guest, with --debian ~/.cache/vmctl/debian-12)")
    .option("--force", "rebuild even if cached")
    .option("--debian", "the Debian 12 guest instead (debootstrap, systemd, sshd, cloud-init; needs root; minutes)")
    .action(async (options: { out?: string; force?: boolean; debian?: boolean }) => {
      const json = globals().json ?? false;
      if (options.debian) {
        const debian = await buildDebianGuest({ ...(options.out ? { outDir: options.out } : {}), ...(options.force ? { force: true } : {}), log: (line) => { if (!json) process.stderr.write(`${line}\n`); } });
        if (json) return printJson(debian);
        process.stdout.write(`kernel:   ${debian.kernel}\ninitrd:   ${debian.initrd}\nimage:    ${debian.image}\nmanifest: ${debian.manifest}\ncmdline:  ${debian.cmdline}\nversion:  ${debian.kernelVersion}${debian.cached ? " (cached)" : ""}\n`);
        return;
      }
      const image = await buildGuest({ ...(options.out ? { outDir: options.out } : {}), ...(options.force ? { force: true } : {}), log: (line) => { if (!json) process.stderr.write(`${line}\n`); } });
      if (json) return printJson(image);
      process.stdout.write(`kernel:  ${image.kernel}\ninitrd:  ${image.initrd}\ncmdline: ${image.cmdline}\nversion: ${image.kernelVersion}${image.cached ? " (cached)" : ""}\n`);
    });
}
