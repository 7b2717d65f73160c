// Whatever tree of folders, files and symlinks a datastore holds, and whatever path is asked for,
// the safe opener returns something inside the root or refuses; never a host file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync, renameSync, existsSync, lstatSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { fdPath, openDirInside, openInside } from "./datastore-safe-open.js";
import { within } from "./datastores.js";

let base: string;
beforeAll(() => { base = realpathSync(mkdtempSync(join(tmpdir(), "vmctl-safeopen-"))); });
afterAll(() => rmSync(base, { recursive: true, force: true }));

let run = 0;
/** A datastore root beside an "outside" folder holding a secret, as a host file would. */
function freshStore(): { root: string; outside: string } {
  const dir = join(base, String(run++));
  const root = join(dir, "root");
  const outside = join(dir, "outside");
  mkdirSync(root, { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "host secret");
  return { root, outside };
}

const NAMES = ["a", "b", "c", "..", "."];
const segment = fc.constantFrom(...NAMES);
const relPath = fc.array(segment, { minLength: 0, maxLength: 5 }).map((parts) => parts.join("/"));
/** OUTSIDE stands for the store's outside folder, filled in when the tree is built. */
const linkTarget = fc.oneof(
  relPath,
  fc.constant("OUTSIDE"), fc.constant("OUTSIDE/secret"), fc.constant("OUTSIDE/none"), fc.constant("/etc"), fc.constant("/etc/hostname"),
  relPath.map((p) => `../${p}`), relPath.map((p) => `../../outside/${p}`), fc.constant("missing/deeper"),
);
type Node = { kind: "dir" } | { kind: "file" } | { kind: "link"; target: string };
const node: fc.Arbitrary<Node> = fc.oneof(
  fc.constant<Node>({ kind: "dir" }), fc.constant<Node>({ kind: "file" }),
  linkTarget.map((target): Node => ({ kind: "link", target })),
);

/** Builds the entries in order; one whose parent is not a folder is skipped. */
function build(root: string, outside: string, entries: Array<[string, Node]>): void {
  for (const [path, entry] of entries) {
    const full = join(root, path);
    if (!within(root, full) || full === root || existsSync(full) || !isDir(join(full, ".."))) continue;
    try { lstatSync(full); continue; } catch { /* free */ }
    if (entry.kind === "dir") mkdirSync(full);
    else if (entry.kind === "file") writeFileSync(full, `inside ${path}`);
    else symlinkSync(entry.target.replace("OUTSIDE", outside) || ".", full);
  }
}

function isDir(path: string): boolean {
  try { return lstatSync(path).isDirectory(); } catch { return false; }
}

const simplePath = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 3 }).map((p) => p.join("/"));

describe("openInside", () => {
  it("never opens anything outside the root, whatever the tree of symlinks and the path asked", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(simplePath, node), { maxLength: 12 }), fc.array(relPath, { minLength: 1, maxLength: 6 }),
      async (entries, asked) => {
        const { root, outside } = freshStore();
        build(root, outside, entries);
        for (const path of asked) {
          try {
            const { handle, info } = await openInside(root, path, { where: `"${path}"` });
            try {
              expect(within(root, readlinkSync(fdPath(handle))), path).toBe(true);
              if (info.isFile()) expect(await readFile(fdPath(handle), "utf8")).not.toContain("host secret");
            } finally {
              await handle.close();
            }
          } catch (error) {
            // A refusal is fine: an escape, or nothing there.
            const code = (error as NodeJS.ErrnoException).code;
            if (!(error instanceof VmctlError && error.code === "path_outside_datastore") && code !== "ENOENT" && code !== "ENOTDIR") throw error;
          }
        }
        expect(readFileSync(join(outside, "secret"), "utf8")).toBe("host secret");
      },
    ), { numRuns: 150 });
  });

  it("creating folders never makes one outside the root, even through a dangling symlink", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(simplePath, node), { maxLength: 10 }), relPath,
      async (entries, asked) => {
        const { root, outside } = freshStore();
        build(root, outside, [["a", { kind: "link", target: "OUTSIDE/made" }], ...entries]);
        try {
          const handle = await openDirInside(root, join(asked, "new"), { where: `"${asked}"`, create: async (parent, name) => { mkdirSync(fdPath(parent, name)); } });
          expect(within(root, readlinkSync(fdPath(handle)))).toBe(true);
          await handle.close();
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (!(error instanceof VmctlError && error.code === "path_outside_datastore") && code !== "ENOENT" && code !== "ENOTDIR") throw error;
        }
        expect(existsSync(join(outside, "made"))).toBe(false);
        expect(existsSync(join(outside, "new"))).toBe(false);
      },
    ), { numRuns: 150 });
  });

  it("follows a symlink that stays inside, and refuses one leading out or dangling", async () => {
    const { root, outside } = freshStore();
    mkdirSync(join(root, "iso"));
    writeFileSync(join(root, "iso/x.iso"), "iso");
    symlinkSync("iso", join(root, "alias"));
    symlinkSync(join(outside, "secret"), join(root, "shadow"));
    symlinkSync(join(outside, "gone"), join(root, "dangling"));
    const { handle, info } = await openInside(root, "alias/x.iso", { where: "x" });
    expect(info.isFile()).toBe(true);
    await handle.close();
    await expect(openInside(root, "shadow", { where: '"shadow"' })).rejects.toThrow(/"shadow" goes through the symlink "shadow" to ".*outside\/secret", outside its datastore/);
    await expect(openInside(root, "dangling", { where: '"dangling"' })).rejects.toMatchObject({ code: "path_outside_datastore" });
  });

  it("a special file planted in a datastore is never opened (a FIFO would hang the open), and a root swapped for a link is refused", async () => {
    const { root, outside } = freshStore();
    // A unix socket stands for every file that is neither regular nor a folder: FIFOs, devices.
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(root, "sock"), done));
    try {
      await expect(openInside(root, "sock", { where: '"sock"' })).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      server.close();
    }
    renameSync(root, `${root}-moved`);
    symlinkSync(outside, root);
    await expect(openInside(root, "secret", { where: '"secret"' })).rejects.toThrow(/the datastore's folder ".*root" was replaced by a symlink/);
  });

  it("a folder swapped for a symlink after it was looked at is not followed", async () => {
    const { root, outside } = freshStore();
    mkdirSync(join(root, "dir"));
    const held = await openDirInside(root, "dir", { where: '"dir"' });
    // The swap: the folder goes, a link to outside takes its name. The handle still holds the folder.
    renameSync(join(root, "dir"), join(root, "moved"));
    symlinkSync(outside, join(root, "dir"));
    await expect(openInside(root, "dir/secret", { where: '"dir/secret"' })).rejects.toMatchObject({ code: "path_outside_datastore" });
    expect(readlinkSync(fdPath(held))).toBe(join(root, "moved"));
    await held.close();
  });
});
