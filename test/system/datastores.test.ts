// Datastores as an admin uses them: added and removed at run time, browsed, files uploaded (and
// resumed after a dropped connection), downloaded by range, deleted where no VM needs them, paths
// held inside their datastore, and the ISO library with its checksums.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { request, type IncomingHttpHeaders } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestHost } from "./harness.js";
import type { Datastore, DatastoreListing, UploadStatus, Iso } from "../../packages/api-types/src/index.js";

let host: TestHost;
let outside: string;
beforeAll(async () => {
  host = await TestHost.start();
  outside = mkdtempSync(join(tmpdir(), "vmctl-outside-"));
});
afterAll(async () => {
  await host?.close();
  rmSync(outside, { recursive: true, force: true });
});

const local = () => join(host.home, "datastores", "local");
const files = (ds: string, path: string) => `/api/v1/datastores/${ds}/files/${path}`;

interface Answer { status: number; headers: IncomingHttpHeaders; body: Buffer; json: () => any } // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

/** One request over the unix socket with the path sent exactly as given (no "../" folding). */
function send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(host.home, "vmctld.sock"), method, path, headers: { ...(body ? { "content-type": "application/octet-stream", "content-length": String(body.length) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data.toString()) });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Announces `declared` bytes and sends none: the answer must come before any body. */
function announce(path: string, declared: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(host.home, "vmctld.sock"), method: "PUT", path, headers: { "content-type": "application/octet-stream", "content-length": String(declared) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => { req.destroy(); const data = Buffer.concat(chunks); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data.toString()) }); });
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

async function status(ds: string, path: string): Promise<UploadStatus> {
  return host.client.uploadStatus(ds, path);
}

/** Starts an upload of `data`, sends `sendBytes` of it, waits until vmctld stored some, and drops the connection. */
async function cutOffUpload(ds: string, path: string, data: Buffer, sendBytes: number): Promise<UploadStatus> {
  const req = request({ socketPath: join(host.home, "vmctld.sock"), method: "PUT", path: files(ds, path), headers: { "content-type": "application/octet-stream", "content-length": String(data.length) } });
  req.on("error", () => {});
  req.write(data.subarray(0, sendBytes));
  const deadline = Date.now() + 20_000;
  while ((await status(ds, path)).received < sendBytes / 2) {
    if (Date.now() > deadline) throw new Error("vmctld stored nothing of the upload");
    await new Promise((r) => setTimeout(r, 50));
  }
  req.destroy();
  for (;;) {
    const settled = await status(ds, path);
    if (!settled.inProgress) return settled;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const partFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => name.includes(".vmctl-part-")) : []);

describe("datastores", () => {
  it("are listed with their origin; one added at run time is made, checked, kept across a restart and removed", async () => {
    const { datastores } = await host.client.datastores();
    expect(datastores.map((d) => [d.name, d.origin])).toEqual([["local", "default"], ["images", "config"]]);
    const dir = join(outside, "extra");
    const added = await host.client.addDatastore("extra", dir);
    expect(added).toMatchObject({ name: "extra", path: dir, origin: "added" });
    expect(added.freeBytes).toBeGreaterThan(0);
    expect(existsSync(dir)).toBe(true);

    await expect(host.client.addDatastore("extra", join(outside, "other"))).rejects.toMatchObject({ status: 409, code: "datastore_exists" });
    await expect(host.client.addDatastore("inner", join(dir, "inner"))).rejects.toMatchObject({ status: 400, message: expect.stringContaining('is inside datastore "extra"') });
    await expect(host.client.addDatastore("above", outside)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('contains datastore "extra"') });
    await expect(host.client.addDatastore("rel", "relative/dir")).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^path: "relative\/dir" is not absolute/) });
    await expect(host.client.addDatastore("Bad Name", join(outside, "b"))).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^name: "Bad Name" is not a datastore name; use lower case/) });
    await expect(host.client.addDatastore("home", join(host.home, "tls"))).rejects.toMatchObject({ status: 400, message: expect.stringContaining("vmctld's home") });
    expect(existsSync(join(outside, "b"))).toBe(false);

    // Loaded again at start, beside vmctld.toml's.
    await host.killDaemon();
    await host.startDaemon();
    expect((await host.client.datastores()).datastores.find((d) => d.name === "extra")).toMatchObject({ origin: "added", path: dir });

    // Not while a VM lives there.
    await host.client.createVm({ name: "tenant", memory: "64MiB" }, "extra");
    await expect(host.client.removeDatastore("extra")).rejects.toMatchObject({ status: 409, code: "in_use", message: expect.stringContaining('VM "tenant" (folder)') });
    await host.client.destroyVm("tenant");
    await expect(host.client.removeDatastore("local")).rejects.toMatchObject({ status: 409, code: "datastore_not_removable" });
    await expect(host.client.removeDatastore("images")).rejects.toMatchObject({ status: 409, code: "datastore_not_removable", message: expect.stringContaining("vmctld.toml") });
    writeFileSync(join(dir, "kept.txt"), "stays");
    expect(await host.client.removeDatastore("extra")).toEqual({ name: "extra", path: dir });
    expect((await host.client.datastores()).datastores.map((d) => d.name)).toEqual(["local", "images"]);
    expect(readFileSync(join(dir, "kept.txt"), "utf8")).toBe("stays");
    await expect(host.client.listFiles("extra")).rejects.toMatchObject({ status: 404, code: "datastore_not_found" });
  });
});

describe("the datastore browser", () => {
  it("an upload cut off midway resumes where it stopped: the file is byte-identical and no part file is left", async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const path = "uploads/big.bin";
    const cut = await cutOffUpload("local", path, data, 3 * 1024 * 1024);
    expect(cut).toMatchObject({ path, total: data.length, complete: false, inProgress: false });
    expect(cut.received).toBeGreaterThan(0);
    expect(cut.received).toBeLessThanOrEqual(3 * 1024 * 1024);
    // Nothing at the target yet, and the part file is hidden from the listing.
    expect(existsSync(join(local(), path))).toBe(false);
    expect(partFiles(join(local(), "uploads"))).toHaveLength(1);
    expect((await host.client.listFiles("local", "uploads")).entries).toEqual([]);

    // A resume from the wrong offset says where to continue.
    const wrong = await send("PUT", files("local", path), data.subarray(10), { "content-range": `bytes 10-${data.length - 1}/${data.length}` });
    expect(wrong.status).toBe(409);
    expect(wrong.json().error).toMatchObject({ code: "upload_offset_mismatch", details: { received: cut.received, total: data.length } });
    expect(wrong.json().error.message).toContain(`continue with Content-Range: bytes ${cut.received}-${data.length - 1}/${data.length}`);

    const rest = data.subarray(cut.received);
    const resumed = await send("PUT", files("local", path), rest, { "content-range": `bytes ${cut.received}-${data.length - 1}/${data.length}` });
    expect(resumed.status).toBe(201);
    expect(resumed.json()).toEqual({ datastore: "local", path, received: data.length, total: data.length, complete: true, inProgress: false });
    expect(readFileSync(join(local(), path)).equals(data)).toBe(true);
    expect(partFiles(join(local(), "uploads"))).toEqual([]);
    expect(await status("local", path)).toMatchObject({ received: data.length, complete: true });

    // An existing file is replaced only when asked.
    const again = await send("PUT", files("local", path), Buffer.from("small"));
    expect(again.status).toBe(409);
    expect(again.json().error).toMatchObject({ code: "file_exists", message: expect.stringContaining("?overwrite=true") });
    expect((await send("PUT", `${files("local", path)}?overwrite=true`, Buffer.from("small"))).status).toBe(201);
    expect(readFileSync(join(local(), path), "utf8")).toBe("small");

    // Every upload is audited, the dropped one too.
    const { entries } = await host.client.call<{ entries: Array<{ action: string; target: string; result: string; status: number }> }>("GET", "/api/v1/audit?limit=20");
    const uploads = entries.filter((e) => e.action === "PUT /api/v1/datastores/:ds/files/*" && e.target === `local:${path}`).map((e) => [e.result, e.status]);
    expect(uploads).toEqual([["ok", 201], ["refused", 409], ["ok", 201], ["refused", 409], ["aborted", 499]]);
  });

  it("downloads answer Range with 206 and the bytes asked for, HEAD with the size, and 416 past the end", async () => {
    const data = randomBytes(100_000);
    expect((await send("PUT", files("local", "dl/data.bin"), data)).status).toBe(201);
    const whole = await send("GET", files("local", "dl/data.bin"));
    expect(whole.status).toBe(200);
    expect(whole.headers["content-type"]).toBe("application/octet-stream");
    expect(whole.headers["content-length"]).toBe(String(data.length));
    expect(whole.headers["accept-ranges"]).toBe("bytes");
    expect(whole.body.equals(data)).toBe(true);
    const etag = String(whole.headers.etag);
    expect(whole.headers["last-modified"]).toBeTruthy();

    const part = await send("GET", files("local", "dl/data.bin"), undefined, { range: "bytes=1000-1999" });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 1000-1999/${data.length}`);
    expect(part.body.equals(data.subarray(1000, 2000))).toBe(true);
    const tail = await send("GET", files("local", "dl/data.bin"), undefined, { range: "bytes=-10", "if-range": etag });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(data.subarray(-10))).toBe(true);
    // If-Range with another version's ETag: the whole (changed) file.
    expect((await send("GET", files("local", "dl/data.bin"), undefined, { range: "bytes=0-9", "if-range": '"stale"' })).status).toBe(200);
    const head = await send("HEAD", files("local", "dl/data.bin"));
    expect([head.status, head.headers["content-length"], head.body.length]).toEqual([200, String(data.length), 0]);
    const past = await send("GET", files("local", "dl/data.bin"), undefined, { range: `bytes=${data.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe(`bytes */${data.length}`);
    expect(past.json().error.code).toBe("range_not_satisfiable");

    const missing = await send("GET", files("local", "dl/none.bin"));
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatchObject({ code: "file_not_found", message: expect.stringContaining("vmctl ds files local") });
  });

  it("paths never leave their datastore: ../, %2e%2e, an absolute path and a symlink out are refused, with nothing written", async () => {
    const target = join(outside, "victim");
    mkdirSync(target);
    symlinkSync(target, join(local(), "link-out"));
    const attempts = [
      files("local", "../escaped.txt"),
      files("local", "a/../../escaped.txt"),
      files("local", "%2e%2e/escaped.txt"),
      files("local", "%2E%2E%2Fescaped.txt"),
      files("local", "link-out/escaped.txt"),
      files("local", "%2Ftmp%2Fescaped.txt"),
    ];
    for (const path of attempts) {
      const answer = await send("PUT", path, Buffer.from("nope"));
      expect([path, answer.status, answer.json().error.code]).toEqual([path, 400, "path_outside_datastore"]);
      expect((await send("GET", path)).status, path).toBe(400);
      expect((await send("DELETE", path)).status, path).toBe(400);
      expect((await send("POST", `${path}?mkdir`)).status, path).toBe(400);
    }
    expect((await send("GET", files("local", "link-out"))).json().error.code).toBe("path_outside_datastore");
    expect(readdirSync(target)).toEqual([]);
    expect(existsSync(join(host.home, "datastores", "escaped.txt"))).toBe(false);
    expect(existsSync("/tmp/escaped.txt")).toBe(false);
    // The symlink out is not listed either.
    expect((await host.client.listFiles("local")).entries.map((e) => e.name)).not.toContain("link-out");
    rmSync(join(local(), "link-out"));
  });

  it("an upload larger than max_upload_size or the free space is refused with 413 before a byte is written", async () => {
    const toml = readFileSync(join(host.home, "vmctld.toml"), "utf8");
    const restartWith = async (text: string) => {
      writeFileSync(join(host.home, "vmctld.toml"), text);
      await host.killDaemon();
      await host.startDaemon();
    };
    try {
      const overDefault = await announce(files("local", "huge/disk.img"), 2 ** 50);
      expect([overDefault.status, overDefault.json().error.code]).toEqual([413, "payload_too_large"]);
      expect(overDefault.json().error.message).toContain("more than max_upload_size (64GiB)");

      await restartWith(`max_upload_size = "1MiB"\n${toml}`);
      const overSet = await announce(files("local", "huge/two.img"), 2 * 1024 * 1024);
      expect(overSet.status).toBe(413);
      expect(overSet.json().error.message).toMatch(/the file is 2MiB, more than max_upload_size \(1MiB\); raise max_upload_size in vmctld\.toml/);
      expect(existsSync(join(local(), "huge"))).toBe(false);
      expect((await send("PUT", files("local", "huge/small.img"), randomBytes(1024 * 1024))).status).toBe(201);

      // Never more than the free space, whatever the limit.
      await restartWith(`max_upload_size = "4096TiB"\n${toml}`);
      const overFree = await announce(files("local", "huge/disk.img"), 2 ** 50);
      expect(overFree.status).toBe(413);
      expect(overFree.json().error.message).toMatch(/needs 1024TiB more, but datastore "local" has .* free/);
      expect(readdirSync(join(local(), "huge"))).toEqual(["small.img"]);
    } finally {
      await restartWith(toml);
    }
  });

  it("refuses to delete or overwrite what a VM uses, naming the VM; deletes and makes directories otherwise", async () => {
    expect((await send("PUT", files("local", "disks/data.img"), randomBytes(1024 * 1024))).status).toBe(201);
    await host.client.createVm({ name: "holder", memory: "64MiB", disks: { disk0: { file: "disks/data.img", format: "raw" } } });
    await expect(host.client.deleteFile("local", "disks/data.img")).rejects.toMatchObject({ status: 409, code: "in_use", message: expect.stringContaining('used by VM "holder" (disks.disk0.file)') });
    await expect(host.client.deleteFile("local", "holder")).rejects.toMatchObject({ status: 409, code: "in_use", message: expect.stringContaining('VM "holder" (folder)') });
    await expect(host.client.deleteFile("local", "holder/holder.toml")).rejects.toMatchObject({ status: 409, message: expect.stringContaining("(definition)") });
    const overwrite = await send("PUT", `${files("local", "disks/data.img")}?overwrite=true`, Buffer.from("x"));
    expect([overwrite.status, overwrite.json().error.code]).toEqual([409, "in_use"]);
    expect(readFileSync(join(local(), "disks/data.img")).length).toBe(1024 * 1024);

    await expect(host.client.deleteFile("local", "disks")).rejects.toMatchObject({ status: 409, code: "directory_not_empty" });
    await host.client.destroyVm("holder", true);
    expect(await host.client.deleteFile("local", "disks/data.img")).toEqual({ datastore: "local", path: "disks/data.img", type: "file" });
    expect(await host.client.deleteFile("local", "disks")).toEqual({ datastore: "local", path: "disks", type: "dir" });
    expect(await host.client.makeDirectory("local", "new/deep")).toEqual({ datastore: "local", path: "new/deep", type: "dir" });
    await expect(host.client.makeDirectory("local", "new/deep")).rejects.toMatchObject({ status: 409, code: "file_exists" });
    await expect(host.client.deleteFile("local", "")).rejects.toMatchObject({ status: 400, message: expect.stringContaining("DELETE /api/v1/datastores/local") });
  });

  it("lists directories first, then files, each with type, size and mtime", async () => {
    await send("PUT", files("local", "tree/b.txt"), Buffer.from("bb"));
    await send("PUT", files("local", "tree/a.txt"), Buffer.from("a"));
    await host.client.makeDirectory("local", "tree/z-dir");
    const listing: DatastoreListing = await host.client.listFiles("local", "tree");
    expect(listing.path).toBe("tree");
    expect(listing.entries.map((e) => [e.name, e.type, e.size])).toEqual([["z-dir", "dir", 0], ["a.txt", "file", 1], ["b.txt", "file", 2]]);
    expect(Date.parse(listing.entries[1]!.mtime)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("the ISO library", () => {
  it("lists iso/*.iso of every datastore with a SHA-256 computed in the background", async () => {
    const image = randomBytes(3 * 1024 * 1024);
    const other = randomBytes(1024);
    await host.client.addDatastore("isostore", join(outside, "isostore"));
    expect((await send("PUT", files("local", "iso/Installer.ISO"), image)).status).toBe(201);
    expect((await send("PUT", files("isostore", "iso/tools.iso"), other)).status).toBe(201);
    expect((await send("PUT", files("local", "iso/readme.txt"), Buffer.from("not an image"))).status).toBe(201);
    let isos: Iso[] = [];
    const deadline = Date.now() + 30_000;
    do {
      isos = await host.client.listIsos();
      if (isos.every((i) => !i.checksumPending)) break;
      expect(isos.filter((i) => i.checksumPending).every((i) => i.sha256 === null)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(isos.map(({ datastore, path, name, size, sha256, checksumPending }) => ({ datastore, path, name, size, sha256, checksumPending }))).toEqual([
      { datastore: "local", path: "iso/Installer.ISO", name: "Installer.ISO", size: image.length, sha256: sha(image), checksumPending: false },
      { datastore: "isostore", path: "iso/tools.iso", name: "tools.iso", size: other.length, sha256: sha(other), checksumPending: false },
    ]);
    // A file that changes gets a new checksum.
    expect((await send("PUT", `${files("isostore", "iso/tools.iso")}?overwrite=true`, Buffer.from("v2"))).status).toBe(201);
    for (let i = 0; i < 100; i++) {
      const tools = (await host.client.listIsos()).find((iso) => iso.name === "tools.iso");
      if (tools?.sha256 === sha(Buffer.from("v2"))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await host.client.listIsos()).find((iso) => iso.name === "tools.iso")?.sha256).toBe(sha(Buffer.from("v2")));
  });
});

describe("vmctl ds and vmctl iso", () => {
  it("vmctl ds upload continues an upload cut off earlier, and ds files / iso ls answer in JSON through the unix socket", async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const file = join(outside, "cli-blob.bin");
    writeFileSync(file, data);
    const cut = await cutOffUpload("local", "cli/blob.bin", data, 1024 * 1024);
    expect(cut.received).toBeGreaterThan(0);
    const upload = await host.cli(["--json", "ds", "upload", "local", file, "cli/blob.bin"]);
    expect(upload.code, upload.stderr).toBe(0);
    expect(upload.stderr).toContain(`resuming the upload of cli/blob.bin at`);
    expect(JSON.parse(upload.stdout)).toEqual({ datastore: "local", path: "cli/blob.bin", received: data.length, total: data.length, complete: true, inProgress: false });
    expect(readFileSync(join(local(), "cli/blob.bin")).equals(data)).toBe(true);
    expect(partFiles(join(local(), "cli"))).toEqual([]);

    const listing = await host.cli(["ds", "files", "local", "cli", "--json"]);
    expect(listing.code, listing.stderr).toBe(0);
    expect(JSON.parse(listing.stdout)).toMatchObject({ datastore: "local", path: "cli", entries: [{ name: "blob.bin", type: "file", size: data.length }] });
    const refused = await host.cli(["--json", "ds", "upload", "local", file, "cli/blob.bin"]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr).error.code).toBe("file_exists");

    const downloaded = join(outside, "cli-back.bin");
    const download = await host.cli(["--json", "ds", "download", "local", "cli/blob.bin", downloaded]);
    expect(download.code, download.stderr).toBe(0);
    expect(readFileSync(downloaded).equals(data)).toBe(true);

    const iso = join(outside, "cli.iso");
    writeFileSync(iso, randomBytes(4096));
    const isoUpload = await host.cli(["iso", "upload", iso]);
    expect(isoUpload.stdout).toContain("uploaded cli.iso to local:iso/cli.iso");
    const isos = JSON.parse((await host.cli(["--json", "iso", "ls"])).stdout) as Iso[];
    expect(isos.map((i) => i.path)).toContain("iso/cli.iso");
    const datastores = JSON.parse((await host.cli(["--json", "ds", "ls"])).stdout) as Datastore[];
    expect(datastores.map((d) => d.name)).toContain("local");
    expect((await host.cli(["ds", "delete", "local", "cli/blob.bin"])).stdout).toBe("deleted file local:cli/blob.bin\n");
  });
});
