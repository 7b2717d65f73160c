// Builds (or reuses) the Debian 12 test guest: debootstrap from the machine's mirror, the recipe's
// files and units laid over it, an ext4 made from the tree (mkfs.ext4 -d, no mounts) and turned into
// qcow2, with the kernel and initramfs beside it for -kernel/-initrd boots. Cached under a manifest
// whose key hashes the recipe, so a changed recipe rebuilds and an unchanged one is a file read.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { machineMirror } from "./apt-mirror.js";
import { defaultGuestDir } from "./build.js";
import {
  DEBIAN_CMDLINE, DEBIAN_ENABLED_UNITS, DEBIAN_IMAGE_SIZE_MIB, DEBIAN_MASKED_UNITS, DEBIAN_PACKAGES, DEBIAN_REMOVED, DEBIAN_SUITE, debianFiles,
} from "./debian-recipe.js";
import { run } from "./exec.js";

export interface DebianGuestImage {
  kernel: string;
  initrd: string;
  /** qcow2 with the root filesystem on the whole disk (/dev/vda, no partition table): use it as a backing file. */
  image: string;
  manifest: string;
  cmdline: string;
  kernelVersion: string;
  imageBytes: number;
  cached: boolean;
  dir: string;
}

export interface BuildDebianOptions {
  outDir?: string;
  force?: boolean;
  /** Debian mirror URI; default: the one of the machine's apt sources. */
  mirror?: string;
  log?: (line: string) => void;
}

interface DebianManifest {
  format: number;
  cacheKey: string;
  suite: string;
  mirror: string;
  packages: readonly string[];
  /** Every package in the image, "name version", as dpkg knows them. */
  installed: string[];
  kernelVersion: string;
  cmdline: string;
  image: { file: string; format: "qcow2"; virtualSizeBytes: number; bytes: number };
  buildSeconds: number;
  builtAt: string;
}

/** Bump when the build steps change in a way the recipe's data does not show. */
const DEBIAN_BUILD_FORMAT = 1;
const FILES = { kernel: "vmlinuz", initrd: "initrd.img", image: "debian-12.qcow2", manifest: "manifest.json" };

export function defaultDebianDir(): string {
  return join(dirname(defaultGuestDir()), "debian-12");
}

export function debianCacheKey(mirror: string): string {
  const inputs = {
    format: DEBIAN_BUILD_FORMAT, suite: DEBIAN_SUITE, mirror, packages: DEBIAN_PACKAGES, files: debianFiles(),
    masked: DEBIAN_MASKED_UNITS, enabled: DEBIAN_ENABLED_UNITS, removed: DEBIAN_REMOVED, cmdline: DEBIAN_CMDLINE, sizeMiB: DEBIAN_IMAGE_SIZE_MIB,
  };
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

async function readManifest(path: string): Promise<DebianManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<DebianManifest>;
    return typeof parsed.cacheKey === "string" && typeof parsed.kernelVersion === "string" && typeof parsed.image?.bytes === "number"
      ? (parsed as DebianManifest)
      : undefined;
  } catch {
    return undefined;
  }
}

/** debootstrap mounts /proc and /sys in the tree while it installs; one that failed may leave them there. */
async function unmountUnder(root: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mounts", "utf8")).split("\n").map((line) => line.split(" ")[1] ?? "")
    .filter((point) => point === root || point.startsWith(`${root}/`)).reverse();
  for (const point of mounts) await run("umount", ["--lazy", point]).catch(() => undefined);
}

async function configure(root: string, log: (line: string) => void): Promise<string> {
  for (const file of debianFiles()) {
    const path = join(root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await rm(path, { force: true });
    await writeFile(path, file.content);
    await chmod(path, file.mode);
  }
  // systemctl --root edits the tree's unit links offline, as in a chroot, without running anything.
  await run("systemctl", ["--root", root, "mask", ...DEBIAN_MASKED_UNITS], { aptPackage: "systemd" });
  await run("systemctl", ["--root", root, "enable", ...DEBIAN_ENABLED_UNITS], { aptPackage: "systemd" });
  const versions = (await readdir(join(root, "boot"))).filter((n) => n.startsWith("vmlinuz-")).map((n) => n.slice("vmlinuz-".length));
  if (versions.length !== 1) throw new Error(`expected one kernel in ${root}/boot, found ${versions.length}: ${versions.join(", ")}`);
  const version = versions[0]!;
  log(`initramfs for ${version} with MODULES=list`);
  await run("chroot", [root, "update-initramfs", "-u", "-k", version]);
  for (const entry of DEBIAN_REMOVED) {
    if (entry.endsWith("/*")) {
      const folder = join(root, entry.slice(0, -2));
      for (const name of existsSync(folder) ? await readdir(folder) : []) {
        // apt's partial/ folders are expected to exist.
        if (name !== "partial") await rm(join(folder, name), { recursive: true, force: true });
      }
    } else {
      await rm(join(root, entry), { recursive: true, force: true });
    }
  }
  return version;
}

export async function buildDebianGuest(opts: BuildDebianOptions = {}): Promise<DebianGuestImage> {
  const dir = resolve(opts.outDir ?? defaultDebianDir());
  const log = opts.log ?? (() => undefined);
  const paths = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, join(dir, f)])) as typeof FILES;
  const result = (m: DebianManifest, cached: boolean): DebianGuestImage => ({
    kernel: paths.kernel, initrd: paths.initrd, image: paths.image, manifest: paths.manifest,
    cmdline: m.cmdline, kernelVersion: m.kernelVersion, imageBytes: m.image.bytes, cached, dir,
  });
  const mirror = opts.mirror ?? (await machineMirror(DEBIAN_SUITE));
  const key = debianCacheKey(mirror);
  const previous = opts.force ? undefined : await readManifest(paths.manifest);
  if (previous?.cacheKey === key && [paths.kernel, paths.initrd, paths.image].every((p) => existsSync(p))) return result(previous, true);

  if (process.getuid?.() !== 0) {
    throw new Error("the Debian guest is built with debootstrap and chroot, which need root: run `vmctl guest build --debian` as root (or VMCTL_SETUP_DEBIAN=1 npm run setup)");
  }
  const started = Date.now();
  const debs = join(dir, "debs");
  await mkdir(debs, { recursive: true });
  // Inside `dir`: the final renames stay on one filesystem, atomic for a builder running beside.
  const work = await mkdtemp(join(dir, ".build-"));
  const root = join(work, "root");
  try {
    log(`debootstrap ${DEBIAN_SUITE} from ${mirror} (minutes; packages are kept in ${debs})`);
    await run("debootstrap", [
      "--variant=minbase", `--cache-dir=${debs}`, `--include=${DEBIAN_PACKAGES.join(",")}`, DEBIAN_SUITE, root, mirror,
    ], { aptPackage: "debootstrap" });
    const kernelVersion = await configure(root, log);
    const installed = (await run("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Package} ${Version}\\n"])).stdout
      .split("\n").filter((l) => l !== "").sort();
    await copyFile(join(root, "boot", `vmlinuz-${kernelVersion}`), join(work, FILES.kernel));
    await copyFile(join(root, "boot", `initrd.img-${kernelVersion}`), join(work, FILES.initrd));
    await chmod(join(work, FILES.kernel), 0o644);
    await chmod(join(work, FILES.initrd), 0o644);
    log(`ext4 of ${DEBIAN_IMAGE_SIZE_MIB} MiB from the tree, then qcow2`);
    const raw = join(work, "root.raw");
    await run("mkfs.ext4", ["-q", "-F", "-L", "vmctl-root", "-d", root, raw, `${DEBIAN_IMAGE_SIZE_MIB}M`], { aptPackage: "e2fsprogs" });
    await rm(root, { recursive: true, force: true });
    await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, join(work, FILES.image)], { aptPackage: "qemu-utils" });
    await rm(raw, { force: true });
    const bytes = (await stat(join(work, FILES.image))).size;
    const manifest: DebianManifest = {
      format: DEBIAN_BUILD_FORMAT, cacheKey: key, suite: DEBIAN_SUITE, mirror, packages: DEBIAN_PACKAGES, installed, kernelVersion,
      cmdline: DEBIAN_CMDLINE, image: { file: FILES.image, format: "qcow2", virtualSizeBytes: DEBIAN_IMAGE_SIZE_MIB << 20, bytes },
      buildSeconds: Math.round((Date.now() - started) / 100) / 10, builtAt: new Date().toISOString(),
    };
    await writeFile(join(work, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    // Manifest out first and back in last, so it never vouches for a half-replaced set of files.
    await rm(paths.manifest, { force: true });
    for (const name of [FILES.kernel, FILES.initrd, FILES.image, FILES.manifest]) await rename(join(work, name), join(dir, name));
    log(`Debian guest (${installed.length} packages, ${(bytes / 2 ** 20).toFixed(0)} MiB) written to ${dir} in ${manifest.buildSeconds} s`);
    return result(manifest, false);
  } finally {
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
  }
}
