// Builds (or reuses) the guest kernel + initramfs and a boot disk of both in a cache directory, guarded by a manifest.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { GUEST_CMDLINE, GUEST_DISK_FILE } from "./constants.js";
import { GUEST_DISK_SIZE_MIB, makeBootDisk, syslinuxConfig } from "./disk-image.js";
import { GUEST_DIRS, guestFiles } from "./init-files.js";
import { busyboxInfo, packInitramfs, stageRoot, type BusyboxInfo } from "./initramfs.js";
import { fetchKernelDeb, resolveKernelPackage, unpackKernel } from "./kernel.js";
import { OPTIONAL_MODULES, REQUIRED_MODULES, collectModules } from "./kmods.js";

export interface GuestImage {
  kernel: string;
  initrd: string;
  /** Raw disk that boots the same kernel and initramfs under SeaBIOS (SYSLINUX on FAT), no -kernel needed. */
  disk: string;
  kernelVersion: string;
  cmdline: string;
  cached: boolean;
  dir: string;
}

export interface BuildGuestOptions {
  outDir?: string;
  force?: boolean;
  log?: (line: string) => void;
}

interface Manifest {
  format: number;
  cacheKey: string;
  kernelPackage: string;
  kernelVersion: string;
  cmdline: string;
  modules: string[];
  busybox: BusyboxInfo;
  disk: { file: string; format: "raw"; sizeBytes: number; boot: string };
  builtAt: string;
}

/** Bump when the build itself changes in a way the hashed inputs do not show. */
const BUILD_FORMAT = 3;

export function defaultGuestDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec says to ignore relative values.
  const cache = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache");
  return join(cache, "vmctl", "guest");
}

function cacheKey(kernelPackage: string, busybox: BusyboxInfo): string {
  const inputs = {
    format: BUILD_FORMAT, files: guestFiles(), dirs: GUEST_DIRS, cmdline: GUEST_CMDLINE,
    kernelPackage, busybox, required: REQUIRED_MODULES, optional: OPTIONAL_MODULES,
    disk: { sizeMiB: GUEST_DISK_SIZE_MIB, syslinux: syslinuxConfig() },
  };
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

async function readManifest(path: string): Promise<Manifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<Manifest>;
    return typeof parsed.cacheKey === "string" && typeof parsed.kernelPackage === "string" && typeof parsed.kernelVersion === "string"
      ? (parsed as Manifest)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function buildGuest(opts: BuildGuestOptions = {}): Promise<GuestImage> {
  const dir = resolve(opts.outDir ?? defaultGuestDir());
  const log = opts.log ?? (() => undefined);
  const paths = {
    kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), disk: join(dir, GUEST_DISK_FILE), manifest: join(dir, "manifest.json"),
  };
  const image = (kernelVersion: string, cached: boolean): GuestImage =>
    ({ kernel: paths.kernel, initrd: paths.initrd, disk: paths.disk, kernelVersion, cmdline: GUEST_CMDLINE, cached, dir });
  const busybox = await busyboxInfo();

  // The kernel package is re-resolved only on a rebuild: apt-cache alone takes most of a second,
  // and a cached guest should not change under the tests just because apt lists were refreshed.
  const previous = opts.force ? undefined : await readManifest(paths.manifest);
  if (previous && previous.cacheKey === cacheKey(previous.kernelPackage, busybox) && [paths.kernel, paths.initrd, paths.disk].every((p) => existsSync(p))) {
    return image(previous.kernelVersion, true);
  }

  await mkdir(dir, { recursive: true });
  // Inside `dir` so the final renames stay on one filesystem and are atomic for parallel builders.
  const work = await mkdtemp(join(dir, ".build-"));
  try {
    const pkg = await resolveKernelPackage();
    log(`kernel package ${pkg}`);
    const deb = await fetchKernelDeb(pkg, dir, work, log);
    const kernel = await unpackKernel(deb, pkg, join(work, "deb"));
    const modules = await collectModules(kernel, log);
    const root = join(work, "root");
    await stageRoot(root, modules);
    await packInitramfs(root, join(work, "initrd.img"));
    await copyFile(kernel.vmlinuz, join(work, "vmlinuz"));
    await makeBootDisk(join(work, "vmlinuz"), join(work, "initrd.img"), join(work, GUEST_DISK_FILE), work);
    const manifest: Manifest = {
      format: BUILD_FORMAT, cacheKey: cacheKey(pkg, busybox), kernelPackage: pkg, kernelVersion: kernel.version,
      cmdline: GUEST_CMDLINE, modules: modules.order, busybox,
      disk: { file: GUEST_DISK_FILE, format: "raw", sizeBytes: GUEST_DISK_SIZE_MIB << 20, boot: "SeaBIOS: SYSLINUX on an unpartitioned FAT disk" },
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(work, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // Manifest out first and back in last, so it never vouches for a half-replaced set of files.
    await rm(paths.manifest, { force: true });
    await rename(join(work, "vmlinuz"), paths.kernel);
    await rename(join(work, "initrd.img"), paths.initrd);
    await rename(join(work, GUEST_DISK_FILE), paths.disk);
    await rename(join(work, "manifest.json"), paths.manifest);
    log(`guest ${kernel.version} written to ${dir}`);
    return image(kernel.version, false);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
