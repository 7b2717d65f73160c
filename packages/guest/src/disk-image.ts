// Makes the guest's BIOS-bootable raw disk: one FAT filesystem over the whole disk (a "superfloppy",
// no partition table), holding the kernel, the initramfs and SYSLINUX, all without root or mounts.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { GUEST_CMDLINE } from "./constants.js";
import { run } from "./exec.js";

/** Raw disk size: room for the ~14 MiB cloud kernel and the initramfs with space to spare. */
export const GUEST_DISK_SIZE_MIB = 64;

/**
 * SeaBIOS hands over to SYSLINUX, which talks on ttyS0 too; PROMPT 0 boots the default label at
 * once (TIMEOUT 0 would only matter if a prompt were shown).
 */
export function syslinuxConfig(cmdline = GUEST_CMDLINE): string {
  return [
    "SERIAL 0 115200", "PROMPT 0", "TIMEOUT 0", "DEFAULT vmctl", "LABEL vmctl",
    "  KERNEL /vmlinuz", "  INITRD /initrd.img", `  APPEND ${cmdline}`, "",
  ].join("\n");
}

/** mkfs.fat lives in /usr/sbin, which an ordinary user's PATH on Debian does not include. */
function sbinCommand(name: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"].filter((d) => d !== "");
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p)) ?? name;
}

/** Writes `out` (which must not exist yet) from a kernel and an initramfs; `work` holds the config file. */
export async function makeBootDisk(kernel: string, initrd: string, out: string, work: string): Promise<void> {
  // --invariant: a fixed volume id and times instead of random and current ones.
  await run(sbinCommand("mkfs.fat"), ["-C", "--invariant", "-n", "VMCTLGUEST", out, String(GUEST_DISK_SIZE_MIB * 1024)], {
    aptPackage: "dosfstools",
  });
  const config = join(work, "syslinux.cfg");
  await writeFile(config, syslinuxConfig());
  const mtools = { aptPackage: "mtools" };
  await run("mcopy", ["-i", out, "-m", kernel, "::/vmlinuz"], mtools);
  await run("mcopy", ["-i", out, "-m", initrd, "::/initrd.img"], mtools);
  await run("mcopy", ["-i", out, "-m", config, "::/syslinux.cfg"], mtools);
  // Writes the FAT boot sector's code and ldlinux.sys/ldlinux.c32, through mtools on the file itself.
  await run("syslinux", ["--install", out], { aptPackage: "syslinux" });
}
