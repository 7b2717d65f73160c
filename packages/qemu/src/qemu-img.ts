// qemu-img: create and inspect disk images.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { VmctlError } from "@vmctl/api-types";

const run = promisify(execFile);

export async function createImage(path: string, format: "qcow2" | "raw", sizeBytes: number): Promise<void> {
  try {
    await run("qemu-img", ["create", "-q", "-f", format, ...(format === "qcow2" ? ["-o", "lazy_refcounts=on"] : []), path, String(sizeBytes)]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new VmctlError("qemu_failed", `qemu-img could not create "${path}": ${stderr || (error as Error).message}`);
  }
}

export interface ImageInfo { format: string; virtualSize: number; actualSize: number }

export async function imageInfo(path: string): Promise<ImageInfo> {
  const { stdout } = await run("qemu-img", ["info", "--output=json", "-U", path]);
  const info = JSON.parse(stdout) as { format: string; "virtual-size": number; "actual-size": number };
  return { format: info.format, virtualSize: info["virtual-size"], actualSize: info["actual-size"] };
}

export async function qemuVersion(binary = "qemu-system-x86_64"): Promise<string | null> {
  try {
    const { stdout } = await run(binary, ["--version"]);
    return /version ([^\s]+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}
