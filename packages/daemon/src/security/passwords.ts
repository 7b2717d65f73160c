// Passwords and secrets at rest: scrypt for passwords (slow on purpose, so at most two run at once
// and a bounded queue waits), SHA-256 for random high-entropy secrets (tokens, session ids) where
// slowness buys nothing.
import { scrypt, randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { promisify } from "node:util";
import { VmctlError } from "@vmctl/api-types";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;
const MAXMEM = 64 * 1024 * 1024;
/** scrypt runs on libuv's thread pool (4 threads), which file I/O needs too: keep two for the rest. */
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_QUEUED_HASHES = 32;

let running = 0;
const queue: Array<() => void> = [];
let checks = 0;

/** Runs scrypt work when a slot is free; refuses with server_busy when the queue is full. */
async function bounded<T>(work: () => Promise<T>): Promise<T> {
  if (running < MAX_CONCURRENT_HASHES) running++;
  else {
    if (queue.length >= MAX_QUEUED_HASHES) throw new VmctlError("server_busy", `vmctld is already checking ${MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES} passwords; retry in a moment`, { retryAfter: 1 });
    await new Promise<void>((resolve) => queue.push(resolve));
  }
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter, or free it.
    const next = queue.shift();
    if (next) next();
    else running--;
  }
}

export interface ScryptHash { N: number; r: number; p: number; salt: Buffer; key: Buffer }

/** A stored hash `scrypt$N$r$p$salt$key`, or null when it is not one (no field may be missing). */
export function parseHash(stored: string): ScryptHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
  const salt = Buffer.from(parts[4]!, "base64");
  const key = Buffer.from(parts[5]!, "base64");
  if (salt.length === 0 || key.length === 0) return null;
  return { N, r, p, salt, key };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_PARAMS.saltBytes);
  const { N, r, p } = SCRYPT_PARAMS;
  const hash = await bounded(() => scryptAsync(password, salt, SCRYPT_PARAMS.keyBytes, { N, r, p, maxmem: MAXMEM }));
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseHash(stored);
  if (!hash) return false;
  const actual = await bounded(() => {
    checks++;
    return scryptAsync(password, hash.salt, hash.key.length, { N: hash.N, r: hash.r, p: hash.p, maxmem: MAXMEM });
  });
  return timingSafeEqual(actual, hash.key);
}

/**
 * A hash of a random password, made the same way as a user's: checking a login of a user who does
 * not exist costs what checking a real one does, so timing does not tell which names exist.
 */
export function dummyHash(): Promise<string> {
  return hashPassword(randomSecret(24));
}

/** How many password checks (scrypt verifications) this vmctld has run, and how many run or wait now. */
export function passwordCheckStats(): { checks: number; running: number; queued: number } {
  return { checks, running, queued: queue.length };
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
