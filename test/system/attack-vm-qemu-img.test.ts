// A VM's disk was written by its QEMU, which runs as the QEMU user: a guest that escapes into it can
// rewrite the qcow2 metadata at will, so qemu-img's parsing of that header is attack surface too.
// Over real HTTPS as an Admin, on a defined (never booted) VM whose qcow2 disk root filled through
// qemu-io: a full clone, an export, a resize and a snapshot of the stopped VM each run their
// qemu-img as vmctl-qemu (caught in /proc: its uid and gid, no capabilities, no_new_privs, QEMU's
// two-variable environment), the results are right (the copies identical, the new size), and the
// disks are root's 0600 again after, unreadable to the QEMU user.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost, guestDefinition } from "./harness.js";
import { https } from "./https-support.js";
import { patternFile, watchQemuImgs, type Sighting } from "./qemu-img-watch.js";

const run = promisify(execFile);
const MIB = 1024 ** 2;
let host: TestHost;
let token: string;
let local: string;
let work: string;
let disk: string;
let qemuUid: number;
let qemuGid: number;

const call = (method: string, path: string, body?: unknown) => https(host.port, method, path, { token, ...(body === undefined ? {} : { body }) });
const owner = (path: string) => { const s = statSync(path); return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) }; };

/** Runs `act` while watching /proc for qemu-img on the source VM's folder; answers what was seen. */
async function watching(act: () => Promise<void>, fragment = join(local, "qi-src")): Promise<Sighting[]> {
  const watch = watchQemuImgs(fragment);
  try {
    await act();
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return watch.stop();
}

/**
 * Every qemu-img seen that opens an existing image ran as the QEMU user, without capabilities, with
 * nothing of vmctld's environment. `qemu-img create` of an empty target (no backing file) parses
 * nothing and is vmctld's own (root's, in a folder the QEMU user cannot write).
 */
function expectUnprivileged(seen: Sighting[]): void {
  for (const create of seen.filter((s) => s.argv[1] === "create")) expect(create.argv, create.argv.join(" ")).not.toContain("-b");
  for (const sighting of seen.filter((s) => s.argv[1] !== "create")) {
    expect(sighting.uid, sighting.argv.join(" ")).toEqual([String(qemuUid), String(qemuUid), String(qemuUid), String(qemuUid)]);
    expect(sighting.gid, sighting.argv.join(" ")).toEqual([String(qemuGid), String(qemuGid), String(qemuGid), String(qemuGid)]);
    expect(sighting).toMatchObject({ capEff: "0000000000000000", capBnd: "0000000000000000", noNewPrivs: "1" });
    expect(sighting.env.map((v) => v.split("=")[0]).sort()).toEqual(["LC_ALL", "PATH"]);
  }
}

/** The QEMU user (an escaped guest, simulated with setpriv) may not read `file`. */
async function expectHiddenFromQemu(file: string): Promise<void> {
  const denied = await run("setpriv", [`--reuid=${qemuUid}`, `--regid=${qemuGid}`, "--init-groups", "--", "head", "-c", "1", file]).then(() => "read", (error: { stderr: string }) => error.stderr);
  expect(denied, file).toMatch(/Permission denied/);
}

async function task(answer: { status: number; body: string; json: () => { id: string } }): Promise<void> {
  expect(answer.status, answer.body).toBe(202);
  const done = await host.client.waitTask(answer.json().id);
  expect(done.state, `${JSON.stringify(done.error)}\n${done.log.join("\n")}`).toBe("success");
}

beforeAll(async () => {
  host = await TestHost.start();
  local = join(host.home, "datastores/local");
  work = join(host.home, "work");
  mkdirSync(work);
  token = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "operator-of-disks", role: "Admin", expires: null })).token;
  qemuUid = Number((await run("id", ["-u", "vmctl-qemu"])).stdout.trim());
  qemuGid = Number((await run("id", ["-g", "vmctl-qemu"])).stdout.trim());
  const created = await call("POST", "/api/v1/vms", guestDefinition("qi-src", { disks: { disk0: { file: "qi-src/disk0.qcow2", size: "64MiB" } } }));
  expect(created.status, created.body).toBe(201);
  disk = join(local, "qi-src/disk0.qcow2");
  // Data qemu-img must really copy and compress (no zero detection skips it), written as root.
  const pattern = join(work, "pattern.bin");
  patternFile(pattern, 24 * MIB);
  await run("qemu-io", ["-f", "qcow2", "-c", `write -s ${pattern} 8M 24M`, "-c", "write -P 0x6b 40M 4M", disk]);
  expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: "600" });
}, 120_000);
afterAll(async () => { await host?.close(); });

describe("qemu-img on a stopped VM's disks runs as the unprivileged QEMU user", () => {
  it("a full clone: qemu-img info and convert -n run as vmctl-qemu; the copy is identical; both disks are root's 0600 and hidden from the QEMU user after", async () => {
    const copy = join(local, "qi-copy/disk0.qcow2");
    const seen = await watching(async () => task(await call("POST", "/api/v1/vms/qi-src/clone", { name: "qi-copy" })));
    const converts = seen.filter((s) => s.argv[1] === "convert");
    expect(converts.length, "the clone's qemu-img convert was seen in /proc").toBeGreaterThan(0);
    expect(converts[0]!.argv).toEqual(expect.arrayContaining(["-n", "--target-is-zero", "-f", "qcow2", "-O", "qcow2", disk, "/dev/fd/3"]));
    expect(converts[0]!.fd3).toBe(copy);
    expectUnprivileged(seen);
    expect((await run("qemu-img", ["compare", "-f", "qcow2", "-F", "qcow2", disk, copy])).stdout).toContain("Images are identical");
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", "-f", "qcow2", copy])).stdout) as { "virtual-size": number };
    expect(info["virtual-size"]).toBe(64 * MIB);
    expect([owner(disk), owner(copy)]).toEqual([{ uid: 0, gid: 0, mode: "600" }, { uid: 0, gid: 0, mode: "600" }]);
    for (const file of [disk, copy]) await expectHiddenFromQemu(file);
    expect((await call("GET", "/api/v1/vms/qi-copy")).json()).toMatchObject({ state: "stopped" });
  });

  it("an export: the stream-optimized VMDK is written by a qemu-img convert -n running as vmctl-qemu; the OVA's disk reads back identical", async () => {
    let ova: Buffer | undefined;
    const seen = await watching(async () => {
      const answer = await call("GET", "/api/v1/vms/qi-src/export");
      expect(answer.status, answer.body.slice(0, 500)).toBe(200);
      ova = answer.bytes;
    });
    const converts = seen.filter((s) => s.argv[1] === "convert");
    expect(converts.length, "the export's qemu-img convert was seen in /proc").toBeGreaterThan(0);
    expect(converts[0]!.argv).toEqual(expect.arrayContaining(["-n", "--target-is-zero", "-f", "qcow2", "-O", "vmdk", disk, "/dev/fd/3"]));
    expect(converts[0]!.fd3).toMatch(/\/qi-src\/\.export-[^/]+\/disk0\.vmdk$/);
    expectUnprivileged(seen);

    const out = join(work, "exported");
    mkdirSync(out);
    writeFileSync(join(out, "qi-src.ova"), ova!);
    await run("tar", ["-xf", "qi-src.ova"], { cwd: out });
    const vmdk = readdirSync(out).find((name) => name.endsWith(".vmdk"));
    expect(vmdk, readdirSync(out).join(", ")).toBeDefined();
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", "-f", "vmdk", join(out, vmdk!)])).stdout) as { "virtual-size": number; "format-specific"?: { data?: { "create-type"?: string } } };
    expect(info["virtual-size"]).toBe(64 * MIB);
    expect(info["format-specific"]?.data?.["create-type"]).toBe("streamOptimized");
    expect((await run("qemu-img", ["compare", "-f", "qcow2", "-F", "vmdk", disk, join(out, vmdk!)])).stdout).toContain("Images are identical");
    // The OVF names the capacity qemu-img read as the QEMU user.
    const ovf = readdirSync(out).find((name) => name.endsWith(".ovf"));
    expect(readFileSync(join(out, ovf!), "utf8")).toContain('ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20"');
    expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: "600" });
    await expectHiddenFromQemu(disk);
    expect(readdirSync(join(local, "qi-src")).filter((name) => name.startsWith(".export-"))).toEqual([]);
  });

  it("a resize of the stopped VM's disk: qemu-img info and resize run as vmctl-qemu, which owns the disk only meanwhile; the new size is there and the data kept", async () => {
    // A resize lives some tens of ms: grown again (16 MiB more each time) until /proc caught one.
    let seen: Sighting[] = [];
    let size = 64;
    for (let attempt = 0; attempt < 10 && !seen.some((s) => s.argv[1] === "resize"); attempt++) {
      size += 16;
      const answer: { status: number; body: string; json: () => { virtualSizeBytes?: number } }[] = [];
      seen.push(...(await watching(async () => { answer.push(await call("POST", "/api/v1/vms/qi-src/disks/disk0/resize", { size: `${size}MiB` })); })));
      expect(answer[0]!.status, answer[0]!.body).toBe(200);
      expect(answer[0]!.json().virtualSizeBytes).toBe(size * MIB);
      expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: "600" });
    }
    seen = seen.filter((s) => s.argv.includes(disk));
    const resizes = seen.filter((s) => s.argv[1] === "resize");
    expect(resizes.length, "a qemu-img resize was seen in /proc").toBeGreaterThan(0);
    expect(resizes[0]!.argv).toEqual(expect.arrayContaining(["-f", "qcow2", disk]));
    expectUnprivileged(seen);
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", "-f", "qcow2", disk])).stdout) as { "virtual-size": number };
    expect(info["virtual-size"]).toBe(size * MIB);
    // What the clone copied before is still there: the grown tail reads as zeroes.
    expect((await run("qemu-img", ["compare", "-f", "qcow2", "-F", "qcow2", join(local, "qi-copy/disk0.qcow2"), disk])).stdout).toContain("Images are identical");
    expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: "600" });
    await expectHiddenFromQemu(disk);
  });

  it("a snapshot of the stopped VM: qemu-img snapshot runs as vmctl-qemu; the snapshot is in the image, which is root's 0600 again", async () => {
    const seen: Sighting[] = [];
    const names: string[] = [];
    for (let attempt = 0; attempt < 10 && !seen.some((s) => s.argv[1] === "snapshot"); attempt++) {
      const name = `cold-${attempt}`;
      names.push(name);
      seen.push(...(await watching(async () => task(await call("POST", "/api/v1/vms/qi-src/snapshots", { name })))));
      expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: "600" });
    }
    const snapshots = seen.filter((s) => s.argv[1] === "snapshot");
    expect(snapshots.length, "a qemu-img snapshot was seen in /proc").toBeGreaterThan(0);
    expect(snapshots[0]!.argv).toEqual(expect.arrayContaining(["-c", expect.stringMatching(/^cold-\d+$/)]));
    expectUnprivileged(seen);
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", "-f", "qcow2", disk])).stdout) as { snapshots?: Array<{ name: string }> };
    expect((info.snapshots ?? []).map((s) => s.name)).toEqual(names);
    await expectHiddenFromQemu(disk);
  });
});
