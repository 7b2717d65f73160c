// Stages the guest root (busybox, init files, modules) and packs it as a gzipped newc cpio.
import { chmod, copyFile, lstat, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isStaticElf } from "./elf.js";
import { run, runGzipTo } from "./exec.js";
import { GUEST_DIRS, MODULE_LIST_PATH, guestFiles } from "./init-files.js";
import type { GuestModules } from "./kmods.js";

export const BUSYBOX_PATH = "/bin/busybox";

export interface BusyboxInfo {
  size: number;
  version: string;
}

/** Size and version identify the busybox build cheaply enough for the cache check. */
export async function busyboxInfo(path = BUSYBOX_PATH): Promise<BusyboxInfo> {
  const { size } = await lstat(path).catch(() => {
    throw new Error(`${path} not found: apt-get install busybox-static`);
  });
  const { stdout } = await run(path, ["--help"], { aptPackage: "busybox-static" });
  const version = /BusyBox (v\S+(?: \([^)]*\))?)/.exec(stdout)?.[1] ?? "unknown";
  return { size, version };
}

async function stageBusybox(root: string, busybox: string): Promise<void> {
  if (!(await isStaticElf(busybox))) {
    throw new Error(`${busybox} is dynamically linked and cannot run in the initramfs: apt-get install busybox-static`);
  }
  await copyFile(busybox, join(root, "bin/busybox"));
  await chmod(join(root, "bin/busybox"), 0o755);
  const { stdout } = await run(busybox, ["--list-full"], { aptPackage: "busybox-static" });
  // No modprobe: the guest has no modules.dep, and while booting the kernel execs /sbin/modprobe
  // for crypto lookups; a missing file fails at once, a busybox run costs time under TCG.
  const skip = new Set(["bin/busybox", "sbin/modprobe"]);
  for (const applet of stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !skip.has(l))) {
    await mkdir(join(root, dirname(applet)), { recursive: true });
    await symlink("/bin/busybox", join(root, applet));
  }
  // The kernel runs /init from an initramfs; as busybox's argv[0] "init" it becomes busybox init.
  await symlink("/bin/busybox", join(root, "init"));
}

export async function stageRoot(root: string, modules: GuestModules, busybox = BUSYBOX_PATH): Promise<void> {
  for (const dir of ["bin", ...GUEST_DIRS]) await mkdir(join(root, dir), { recursive: true });
  await stageBusybox(root, busybox);
  for (const file of guestFiles()) {
    await mkdir(join(root, dirname(file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content);
    await chmod(join(root, file.path), file.mode);
  }
  for (const name of modules.order) {
    const ko = modules.contents.get(name);
    if (!ko) throw new Error(`module ${name} was resolved but not read`);
    await writeFile(join(root, "lib/modules", `${name}.ko`), ko);
  }
  await writeFile(join(root, MODULE_LIST_PATH), modules.order.map((m) => `${m}\n`).join(""));
}

/** Every path under root, parents first, sorted so the archive is stable between builds. */
async function listTree(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    out.push(path);
    if (entry.isDirectory()) out.push(...(await listTree(root, path)));
  }
  return out;
}

export async function packInitramfs(root: string, outFile: string): Promise<void> {
  const names = await listTree(root);
  const list = Buffer.from(names.map((n) => `${n}\0`).join(""));
  // Owned by root in the guest whoever builds it; --reproducible drops host inode numbers.
  await runGzipTo("cpio", ["--quiet", "-o", "-H", "newc", "--null", "--owner", "0:0", "--reproducible"], list, outFile, {
    cwd: root, aptPackage: "cpio",
  });
}
