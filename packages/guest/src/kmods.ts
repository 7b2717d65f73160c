// Chooses the kernel modules the guest needs and loads them (decompressed) in dependency order.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { modinfoDepends, stripModuleSignature } from "./elf.js";
import { runBuffer } from "./exec.js";
import type { UnpackedKernel } from "./kernel.js";
import {
  formatModulesDepLine, moduleNameFromPath, parseKernelConfig, parseModulesDep, resolveModuleOrder, type ModuleEntry,
} from "./modules.js";

/** Needed for a virtio disk, virtio NIC and the ACPI power button (acpid reads it via evdev). */
export const REQUIRED_MODULES: readonly string[] = [
  "virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
  "virtio_blk", "failover", "net_failover", "virtio_net", "evdev", "button",
];

/** Nice to have; taken only when the kernel config builds them as modules (=m). */
export const OPTIONAL_MODULES: ReadonlyArray<{ module: string; config: string; purpose: string }> = [
  { module: "ahci", config: "CONFIG_SATA_AHCI", purpose: "SATA CD-ROM on q35" },
  { module: "ata_piix", config: "CONFIG_ATA_PIIX", purpose: "IDE CD-ROM on pc" },
  { module: "sr_mod", config: "CONFIG_BLK_DEV_SR", purpose: "CD-ROM block device" },
  { module: "cdrom", config: "CONFIG_CDROM", purpose: "CD-ROM" },
  { module: "isofs", config: "CONFIG_ISO9660_FS", purpose: "ISO 9660 filesystem" },
  { module: "ext4", config: "CONFIG_EXT4_FS", purpose: "ext4 on a virtio disk" },
  // ext4 asks the crypto API for crc32c by name, so no symbol dependency would pull it in.
  { module: "crc32c_generic", config: "CONFIG_CRYPTO_CRC32C", purpose: "ext4 checksums" },
  { module: "virtio_scsi", config: "CONFIG_SCSI_VIRTIO", purpose: "virtio-scsi controller" },
  { module: "sd_mod", config: "CONFIG_BLK_DEV_SD", purpose: "disks on virtio-scsi/SATA" },
  { module: "virtio_console", config: "CONFIG_VIRTIO_CONSOLE", purpose: "virtio serial ports" },
  { module: "virtio_balloon", config: "CONFIG_VIRTIO_BALLOON", purpose: "memory balloon" },
  // QEMU's ISA pvpanic device is found through ACPI by this driver: a panic then reaches vmctld.
  { module: "pvpanic_mmio", config: "CONFIG_PVPANIC_MMIO", purpose: "report guest panics to QEMU" },
];

const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;

async function decompress(file: string): Promise<Buffer> {
  if (file.endsWith(".ko")) return readFile(file);
  if (file.endsWith(".gz")) return gunzipSync(await readFile(file));
  // busybox insmod takes plain ELF only, so compressed modules are expanded at build time.
  if (file.endsWith(".xz")) return runBuffer("xz", ["-dc", file], { aptPackage: "xz-utils" });
  if (file.endsWith(".zst")) return runBuffer("zstd", ["-dc", file], { aptPackage: "zstd" });
  throw new Error(`unknown module format: ${file}`);
}

async function listModuleFiles(modulesDir: string): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  for (const rel of await readdir(modulesDir, { recursive: true })) {
    if (MODULE_FILE.test(rel)) byName.set(moduleNameFromPath(rel), rel);
  }
  return byName;
}

/**
 * Debian generates modules.dep in the package's postinst, so an unpacked (never installed)
 * .deb has none; the same lines are rebuilt here from each needed module's modinfo.
 */
async function synthesizeModulesDep(
  modulesDir: string, files: Map<string, string>, roots: readonly string[], cache: Map<string, Buffer>,
): Promise<string> {
  const lines: string[] = [];
  const queue = [...roots];
  const seen = new Set<string>();
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const rel = files.get(name);
    if (seen.has(name) || rel === undefined) continue;
    seen.add(name);
    const ko = await decompress(join(modulesDir, rel));
    cache.set(name, ko);
    const deps = modinfoDepends(ko, rel);
    queue.push(...deps);
    lines.push(formatModulesDepLine(rel, deps.map((d) => files.get(d) ?? `${d}.ko`)));
  }
  return lines.join("\n");
}

export interface GuestModules {
  /** Names in insmod order. */
  order: string[];
  /** Decompressed .ko contents by name. */
  contents: Map<string, Buffer>;
}

export async function collectModules(kernel: UnpackedKernel, log: (line: string) => void): Promise<GuestModules> {
  const config = parseKernelConfig(kernel.configText);
  const files = await listModuleFiles(kernel.modulesDir);
  const builtinPath = join(kernel.modulesDir, "modules.builtin");
  const builtinText = existsSync(builtinPath) ? await readFile(builtinPath, "utf8") : "";
  const builtin = new Set(builtinText.split("\n").filter((l) => l !== "").map(moduleNameFromPath));

  const wanted: string[] = [];
  for (const name of REQUIRED_MODULES) {
    if (files.has(name)) wanted.push(name);
    else if (builtin.has(name)) log(`module ${name}: built into the kernel`);
    else throw new Error(`kernel ${kernel.version} has no ${name} module and does not build it in`);
  }
  for (const { module, config: symbol, purpose } of OPTIONAL_MODULES) {
    // Without a boot/config-* to consult, a module file that exists is the best evidence there is.
    const value = config.get(symbol) ?? (config.size === 0 && files.has(module) ? "m" : undefined);
    if (value === "m" && files.has(module)) wanted.push(module);
    else if (value === "y") log(`module ${module} (${purpose}): built into the kernel`);
    else log(`skipping ${module} (${purpose}): ${symbol}=${value ?? "n"} in kernel ${kernel.version}`);
  }

  const contents = new Map<string, Buffer>();
  const depPath = join(kernel.modulesDir, "modules.dep");
  const depText = existsSync(depPath)
    ? await readFile(depPath, "utf8")
    : await synthesizeModulesDep(kernel.modulesDir, files, wanted, contents);
  const deps: Map<string, ModuleEntry> = parseModulesDep(depText);
  const { order, missing } = resolveModuleOrder(deps, wanted);
  const absent = missing.filter((m) => !builtin.has(m));
  if (absent.length > 0) throw new Error(`modules.dep of ${kernel.version} lacks: ${absent.join(", ")}`);

  for (const name of order) {
    const rel = deps.get(name)?.path;
    const ko = contents.get(name) ?? (rel === undefined ? undefined : await decompress(join(kernel.modulesDir, rel)));
    if (ko) contents.set(name, stripModuleSignature(ko));
  }
  log(`modules (load order): ${order.join(" ")}`);
  return { order, contents };
}
