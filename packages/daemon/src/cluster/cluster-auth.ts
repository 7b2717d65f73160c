// Cluster tokens on a joined host: a JWT that vmcenter minted for this host (aud = its id, iss =
// its cluster, EdDSA with a key from cluster.json, at most 600 s) stands for the cluster user in it,
// as "<user> (vmcenter)" with the privileges of the host's built-in role of that name (but for
// token.own: no host tokens, which would be a same-named local user's). Verified
// offline, re-read on every use: once its exp passes, what it opened (tickets, sockets) stops working.
import { VmctlError } from "@vmctl/api-types";
import { TokenRejected, verifyClusterToken, type ClusterClaims } from "@vmctl/center";
import { BUILTIN_ROLES } from "../security/privileges.js";
import type { Credential, Principal } from "../security/principal.js";
import type { ClusterConfig } from "./cluster-config.js";

export type ClusterCredential = Extract<Credential, { kind: "token" }> & { cluster: NonNullable<Extract<Credential, { kind: "token" }>["cluster"]> };

export function isClusterCredential(via: Credential): via is ClusterCredential {
  return via.kind === "token" && via.cluster !== undefined;
}

/** Clock skew tolerated between vmcenter and this host. */
const LEEWAY_SECONDS = 5;

export class ClusterAuth {
  constructor(private readonly config: Pick<ClusterConfig, "issuer" | "publicKeysPem" | "clusterId">, private readonly hostId: string) {}

  /** The principal of a cluster token, or unauthenticated saying why it is refused. */
  principalForToken(token: string): Principal {
    let claims: ClusterClaims;
    try {
      claims = verifyClusterToken(token, { publicKeysPem: this.config.publicKeysPem, audience: this.hostId, issuer: this.config.issuer, leewaySeconds: LEEWAY_SECONDS });
    } catch (error) {
      if (error instanceof TokenRejected) throw new VmctlError("unauthenticated", `the cluster token is refused: ${error.message}; log in at vmcenter again`);
      throw error;
    }
    const principal = this.resolve({ kind: "token", tokenId: `cluster:${claims.jti}`, cluster: { user: claims.sub, role: claims.role, exp: claims.exp } });
    if (!principal) throw new VmctlError("unauthenticated", `the cluster token is refused: role "${claims.role}" is not a built-in role of this host`);
    return principal;
  }

  /** The principal as the credential stands now: null once its token expired. */
  resolve(via: ClusterCredential): Principal | null {
    const { user, role, exp } = via.cluster;
    if (exp + LEEWAY_SECONDS < Date.now() / 1000) return null;
    const privileges = Object.hasOwn(BUILTIN_ROLES, role) ? BUILTIN_ROLES[role] : undefined;
    if (!privileges) return null;
    // token.own is left out: a cluster user's tokens are vmcenter's, and "their own" tokens here
    // would be those of the local user who happens to have the same name.
    return { name: `${user} (vmcenter)`, user, kind: "token", role, host: new Set(privileges.filter((p) => p !== "token.own")), vms: new Map(), via };
  }
}
