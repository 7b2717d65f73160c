// Finds, downloads (once) and unpacks the Debian cloud kernel package, without installing it.
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./exec.js";

export const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

export interface UnpackedKernel {
  packageName: string;
  version: string;
  vmlinuz: string;
  configText: string;
  /** lib/modules/<version> inside the unpacked tree. */
  modulesDir: string;
}

/** The meta package only depends on the versioned one, which is what actually holds the files. */
export async function resolveKernelPackage(): Promise<string> {
  const hint = `apt-cache does not know ${KERNEL_META_PACKAGE}; run \`apt-get update\` (as root) and retry`;
  let stdout: string;
  try {
    ({ stdout } = await run("apt-cache", ["depends", KERNEL_META_PACKAGE], { aptPackage: "apt" }));
  } catch (error) {
    throw new Error(hint, { cause: error });
  }
  const match = /^\s*Depends:\s*<?(linux-image-[^\s>]+)>?/m.exec(stdout);
  if (!match?.[1]) throw new Error(hint);
  return match[1];
}

async function cachedDeb(dir: string, pkg: string): Promise<string | undefined> {
  const names = existsSync(dir) ? await readdir(dir) : [];
  const hit = names.find((n) => n.startsWith(`${pkg}_`) && n.endsWith(".deb"));
  return hit === undefined ? undefined : join(dir, hit);
}

/**
 * Returns the package's .deb kept in `cacheDir`, downloading it via `workDir` when absent.
 * `workDir` must be on the same filesystem so the final rename is atomic for parallel builders.
 */
export async function fetchKernelDeb(pkg: string, cacheDir: string, workDir: string, log: (line: string) => void): Promise<string> {
  const cached = await cachedDeb(cacheDir, pkg);
  if (cached) {
    log(`using cached ${cached}`);
    return cached;
  }
  log(`downloading ${pkg}`);
  await run("apt-get", ["download", pkg], { cwd: workDir, aptPackage: "apt" });
  const downloaded = await cachedDeb(workDir, pkg);
  if (!downloaded) throw new Error(`apt-get download ${pkg} produced no .deb in ${workDir}`);
  const target = join(cacheDir, downloaded.slice(workDir.length + 1));
  await rename(downloaded, target);
  // Older kernel ABIs will never be used again once the meta package moved on.
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith("linux-image-") && name.endsWith(".deb") && join(cacheDir, name) !== target) {
      await rm(join(cacheDir, name), { force: true });
    }
  }
  return target;
}

export async function unpackKernel(deb: string, pkg: string, root: string): Promise<UnpackedKernel> {
  await run("dpkg-deb", ["-x", deb, root], { aptPackage: "dpkg" });
  const boot = join(root, "boot");
  const image = (existsSync(boot) ? await readdir(boot) : []).find((n) => n.startsWith("vmlinuz-"));
  if (!image) throw new Error(`${deb} contains no boot/vmlinuz-*`);
  const version = image.slice("vmlinuz-".length);
  // Debian moved modules under /usr (merged-/usr) in later releases; accept either layout.
  const modulesDir = [join(root, "lib/modules", version), join(root, "usr/lib/modules", version)].find((d) => existsSync(d));
  if (!modulesDir) throw new Error(`${deb} contains no lib/modules/${version}`);
  const configPath = join(boot, `config-${version}`);
  const configText = existsSync(configPath) ? await readFile(configPath, "utf8") : "";
  return { packageName: pkg, version, vmlinuz: join(boot, image), configText, modulesDir };
}
