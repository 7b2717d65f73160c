// Secrets at rest for vmcenter: scrypt for passwords (slow on purpose, at most two at once, a bounded
// queue), SHA-256 for random high-entropy secrets (API tokens, session ids, the join token), and the
// opaque API token format `vmcenter_<id>_<secret>`.
import { scrypt, randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { promisify } from "node:util";
import { VmctlError } from "@vmctl/api-types";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const MAXMEM = 64 * 1024 * 1024;
const MAX_RUNNING = 2;
const MAX_QUEUED = 32;

let running = 0;
const queue: Array<() => void> = [];

async function bounded<T>(work: () => Promise<T>): Promise<T> {
  if (running < MAX_RUNNING) running++;
  else {
    if (queue.length >= MAX_QUEUED) throw new VmctlError("server_busy", `vmcenter is already checking ${MAX_RUNNING + MAX_QUEUED} passwords; retry in a moment`, { retryAfter: 1 });
    await new Promise<void>((resolve) => queue.push(resolve));
  }
  try {
    return await work();
  } finally {
    const next = queue.shift();
    if (next) next();
    else running--;
  }
}

/** `scrypt$N$r$p$salt$key` (the host's own format). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await bounded(() => scryptAsync(password, salt, 32, { ...PARAMS, maxmem: MAXMEM }));
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const key = Buffer.from(parts[5]!, "base64");
  if (!salt.length || !key.length) return false;
  const actual = await bounded(() => scryptAsync(password, salt, key.length, { N, r, p, maxmem: MAXMEM }));
  return timingSafeEqual(actual, key);
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

export const API_TOKEN_PREFIX = "vmcenter_";
const TOKEN_PATTERN = /^vmcenter_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new API token: its id (the etcd key), its secret's hash (stored) and the text the user gets once. */
export function makeApiToken(): { id: string; token: string; secretHash: string } {
  const id = randomBytes(8).toString("hex");
  const secret = randomSecret(32);
  return { id, token: `${API_TOKEN_PREFIX}${id}_${secret}`, secretHash: sha256(secret) };
}

/** The id and secret of a token of vmcenter's format, or null for anything else. */
export function parseApiToken(token: string): { id: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}
