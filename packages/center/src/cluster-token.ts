// Cluster tokens: JWTs (RFC 7519) signed by vmcenter with Ed25519 ("EdDSA", RFC 8037), bound to one
// host (aud) and short-lived, which a joined host verifies offline with vmcenter's public key. They
// carry a cluster user and role, so a user who logged in once at vmcenter acts on any host as
// themself. Node's crypto signs and verifies; no dependency.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from "node:crypto";

export const CLUSTER_ROLES = ["Admin", "Operator", "ReadOnly"] as const;
export type ClusterRole = (typeof CLUSTER_ROLES)[number];

export interface ClusterClaims {
  /** "vmcenter:<cluster id>" */
  iss: string;
  /** The cluster user ("admin"), or "vmcenter" for the controller's own calls. */
  sub: string;
  /** The host id this token is for: a host refuses a token minted for another. */
  aud: string;
  role: ClusterRole;
  iat: number;
  exp: number;
  jti: string;
}

/** The longest a host accepts: a revoked cluster user loses a host within this time at most. */
export const MAX_TOKEN_SECONDS = 600;
export const DEFAULT_TOKEN_SECONDS = 300;

const b64 = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export function issuerOf(clusterId: string): string {
  return `vmcenter:${clusterId}`;
}

export function makeSigningKey(): { kid: string; privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    kid: randomUUID(),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export class TokenSigner {
  private readonly key: KeyObject;

  constructor(private readonly signing: { kid: string; privateKeyPem: string }, private readonly clusterId: string) {
    this.key = createPrivateKey(signing.privateKeyPem);
  }

  /** A token for `user` with `role` on host `audience`, valid `seconds` from now. */
  mint(user: string, role: ClusterRole, audience: string, seconds = DEFAULT_TOKEN_SECONDS): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: ClusterClaims = { iss: issuerOf(this.clusterId), sub: user, aud: audience, role, iat: now, exp: now + Math.min(seconds, MAX_TOKEN_SECONDS), jti: randomUUID() };
    const head = b64(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid: this.signing.kid }));
    const body = b64(JSON.stringify(claims));
    const signature = sign(null, Buffer.from(`${head}.${body}`), this.key);
    return `${head}.${body}.${b64(signature)}`;
  }
}

/** True when the text has a JWT's shape (a host tells it from its own opaque tokens so). */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.length < 4096;
}

export class TokenRejected extends Error {}

/**
 * The claims of a token signed by one of `publicKeysPem`, for `audience`, from `issuer`, not expired,
 * not longer-lived than MAX_TOKEN_SECONDS; throws TokenRejected saying why otherwise.
 */
export function verifyClusterToken(token: string, options: { publicKeysPem: string[]; audience: string; issuer: string; now?: number; leewaySeconds?: number }): ClusterClaims {
  if (!looksLikeJwt(token)) throw new TokenRejected("not a JWT");
  const [head, body, signature] = token.split(".") as [string, string, string];
  let header: { alg?: unknown; typ?: unknown };
  let claims: Partial<ClusterClaims>;
  try {
    header = JSON.parse(Buffer.from(head, "base64url").toString()) as typeof header;
    claims = JSON.parse(Buffer.from(body, "base64url").toString()) as Partial<ClusterClaims>;
  } catch {
    throw new TokenRejected("the token's header or claims are not JSON");
  }
  // Only EdDSA: a token naming "none" or an HMAC algorithm is refused before any key is tried.
  if (header.alg !== "EdDSA") throw new TokenRejected(`algorithm ${JSON.stringify(header.alg)} is not accepted (EdDSA only)`);
  const signed = Buffer.from(`${head}.${body}`);
  const valid = options.publicKeysPem.some((pem) => {
    try {
      return verify(null, signed, createPublicKey(pem), Buffer.from(signature, "base64url"));
    } catch {
      return false;
    }
  });
  if (!valid) throw new TokenRejected("the signature is not vmcenter's");
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const leeway = options.leewaySeconds ?? 30;
  if (claims.iss !== options.issuer) throw new TokenRejected(`issued by ${JSON.stringify(claims.iss)}, not this host's cluster`);
  if (claims.aud !== options.audience) throw new TokenRejected("minted for another host");
  if (typeof claims.exp !== "number" || typeof claims.iat !== "number") throw new TokenRejected("no expiry");
  if (claims.exp + leeway < now) throw new TokenRejected("expired");
  if (claims.iat - leeway > now) throw new TokenRejected("issued in the future");
  if (claims.exp - claims.iat > MAX_TOKEN_SECONDS) throw new TokenRejected(`valid for more than ${MAX_TOKEN_SECONDS} s`);
  if (typeof claims.sub !== "string" || !/^[A-Za-z0-9_.@-]{1,64}$/.test(claims.sub)) throw new TokenRejected("no valid user");
  if (!CLUSTER_ROLES.includes(claims.role as ClusterRole)) throw new TokenRejected(`role ${JSON.stringify(claims.role)} is not a cluster role`);
  if (typeof claims.jti !== "string") throw new TokenRejected("no token id");
  return claims as ClusterClaims;
}
