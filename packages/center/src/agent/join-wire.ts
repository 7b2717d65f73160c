// The join call between a host and vmcenter (POST /api/v1/cluster/join): the host presents the
// cluster's join token and who it is; vmcenter answers what the host needs to verify cluster tokens
// offline and to reach etcd. Both sides validate against these schemas.
import { Type, type Static } from "@sinclair/typebox";

export const JOIN_PATH = "/api/v1/cluster/join";

const PEM = Type.String({ minLength: 1, maxLength: 16384, pattern: "^-----BEGIN [A-Z ]+-----" });

export const JoinRequestSchema = Type.Object({
  joinToken: Type.String({ minLength: 1, maxLength: 256, description: "the cluster's join token (initial-admin.json → joinToken)" }),
  host: Type.Object({
    id: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", description: "the host's own UUID (GET /api/v1/host → id)" }),
    name: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", description: "its host name, or vmctld --host-name" }),
    url: Type.String({ pattern: "^https://[^\\s/]+$", maxLength: 300, description: "its HTTPS API, e.g. https://10.0.0.5:8443" }),
    certPem: PEM,
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export type JoinRequest = Static<typeof JoinRequestSchema>;

export const JoinAnswerSchema = Type.Object({
  clusterId: Type.String({ minLength: 1, maxLength: 128 }),
  issuer: Type.String({ minLength: 1, maxLength: 200, description: "the iss of every cluster token (vmcenter:<clusterId>)" }),
  publicKeysPem: Type.Array(PEM, { minItems: 1, maxItems: 8, description: "vmcenter's token signing keys (Ed25519, SPKI PEM)" }),
  etcd: Type.Object({ endpoints: Type.Array(Type.String({ pattern: "^https?://", maxLength: 300 }), { minItems: 1, maxItems: 16 }) }),
  centerUrls: Type.Array(Type.String({ pattern: "^https?://", maxLength: 300 }), { maxItems: 16 }),
});
export type JoinAnswer = Static<typeof JoinAnswerSchema>;
