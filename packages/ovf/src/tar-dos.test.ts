import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { listTar } from "./tar-read.js";
import { rawTar } from "./raw-tar.test-support.js";

describe("tar reader against stalls", () => {
  it("reads a 1 MiB GNU long name of NULs ending in one other byte in linear time (a /\\0+$/ took minutes)", async () => {
    const name = Buffer.concat([Buffer.alloc(1024 * 1024 - 1), Buffer.from("x")]);
    const archive = rawTar([{ name: "././@LongLink", typeflag: "L", body: name }, { name: "short", body: "data" }]);
    // Refused (a NUL in a name), and within the test timeout.
    const outcome = await listTar(Readable.from([archive])).then(() => "read", (error: unknown) => (error as Error).message);
    expect(outcome).toMatch(/contains a NUL byte; the archive is refused/);
  });

  it("still strips the NUL padding of an ordinary GNU long name", async () => {
    const long = `${"d/".repeat(80)}disk.vmdk`;
    const archive = rawTar([{ name: "././@LongLink", typeflag: "L", body: Buffer.concat([Buffer.from(long), Buffer.alloc(7)]) }, { name: "short", body: "data" }]);
    const members = await listTar(Readable.from([archive]));
    expect(members.map((m) => m.name)).toEqual([long]);
  });
});
