// Child-process helpers: argument arrays only (no shell), errors that name the command and its stderr.
import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

export interface RunOptions {
  cwd?: string;
  /** Package to suggest when the command is not installed. */
  aptPackage?: string;
}

function describeFailure(cmd: string, args: readonly string[], error: Error & { code?: unknown }, stderr: string, opts: RunOptions): Error {
  if (error.code === "ENOENT") {
    const hint = opts.aptPackage ? ` (apt-get install ${opts.aptPackage})` : "";
    return new Error(`${cmd} not found${hint}`);
  }
  const detail = stderr.trim().split("\n").slice(-5).join("\n");
  return new Error(`${cmd} ${args.join(" ")} failed: ${error.message.split("\n")[0] ?? ""}${detail ? `\n${detail}` : ""}`);
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 64 << 20, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(describeFailure(cmd, args, error, stderr, opts));
      else resolve({ stdout, stderr });
    });
  });
}

export function runBuffer(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 1 << 30, encoding: "buffer" }, (error, stdout, stderr) => {
      if (error) reject(describeFailure(cmd, args, error, stderr.toString("utf8"), opts));
      else resolve(stdout);
    });
  });
}

/** Runs `cmd` with `input` on stdin and gzips its stdout into `outFile` (streamed: archives can be large). */
export async function runGzipTo(cmd: string, args: readonly string[], input: Buffer, outFile: string, opts: RunOptions = {}): Promise<void> {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve, reject) => {
    child.on("error", (error) => reject(describeFailure(cmd, args, error, stderr, opts)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(describeFailure(cmd, args, new Error(`exit ${code ?? signal ?? "?"}`), stderr, opts));
    });
  });
  const piped = pipeline(child.stdout, createGzip({ level: 6 }), createWriteStream(outFile));
  // If the command fails, the pipeline's own (later) rejection is noise: the exit error says more.
  piped.catch(() => undefined);
  child.stdin.on("error", () => undefined);
  child.stdin.end(input);
  try {
    await Promise.all([piped, exited]);
  } catch (error) {
    child.stdout.destroy();
    throw error;
  }
}
