import { describe, it, expect } from "vitest";
import { dummyHash, hashPassword, parseHash, verifyPassword, passwordCheckStats, SCRYPT_PARAMS, MAX_CONCURRENT_HASHES, MAX_QUEUED_HASHES } from "./passwords.js";
import { VmctlError } from "@vmctl/api-types";

describe("passwords", () => {
  it("the dummy hash for unknown users is well formed and costs what a real one does", async () => {
    const real = parseHash(await hashPassword("correct horse battery"))!;
    const dummy = parseHash(await dummyHash())!;
    expect(dummy).not.toBeNull();
    expect({ N: dummy.N, r: dummy.r, p: dummy.p, salt: dummy.salt.length, key: dummy.key.length })
      .toEqual({ N: real.N, r: real.r, p: real.p, salt: real.salt.length, key: real.key.length });
    expect({ N: real.N, r: real.r, p: real.p, salt: real.salt.length, key: real.key.length })
      .toEqual({ N: SCRYPT_PARAMS.N, r: SCRYPT_PARAMS.r, p: SCRYPT_PARAMS.p, salt: SCRYPT_PARAMS.saltBytes, key: SCRYPT_PARAMS.keyBytes });
    // Checking against it really runs scrypt (the counter moves), and no guess matches it.
    const before = passwordCheckStats().checks;
    expect(await verifyPassword("correct horse battery", await dummyHash())).toBe(false);
    expect(passwordCheckStats().checks).toBe(before + 1);
  });

  it("refuses malformed hashes without running scrypt (the old dummy lacked its p field)", async () => {
    const before = passwordCheckStats().checks;
    for (const bad of ["", "scrypt$16384$8$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "bcrypt$1$2$3$AA==$AA==", "scrypt$x$8$1$AA==$AA==", "scrypt$16384$8$1$$AA=="]) {
      expect(parseHash(bad)).toBeNull();
      expect(await verifyPassword("anything", bad)).toBe(false);
    }
    expect(passwordCheckStats().checks).toBe(before);
  });

  it("verifies the right password only", async () => {
    const stored = await hashPassword("s3cret-password");
    expect(await verifyPassword("s3cret-password", stored)).toBe(true);
    expect(await verifyPassword("s3cret-passwore", stored)).toBe(false);
  });

  it("runs at most two scrypt at once and answers server_busy beyond the queue", async () => {
    const stored = await hashPassword("s3cret-password");
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, passwordCheckStats().running); }, 1);
    const all = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES + 5 }, () => verifyPassword("guess", stored).then(() => "checked", (error: unknown) => error));
    expect(passwordCheckStats()).toMatchObject({ running: MAX_CONCURRENT_HASHES, queued: MAX_QUEUED_HASHES });
    const results = await Promise.all(all);
    clearInterval(watch);
    expect(peak).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
    const busy = results.filter((r): r is VmctlError => r instanceof VmctlError);
    expect(busy.map((e) => e.code)).toEqual(Array(5).fill("server_busy"));
    expect(results.filter((r) => r === "checked").length).toBe(MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES);
    expect(passwordCheckStats()).toMatchObject({ running: 0, queued: 0 });
  }, 60_000);
});
