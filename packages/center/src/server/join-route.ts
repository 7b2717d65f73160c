// POST /api/v1/cluster/join: a host joins the cluster (`vmctld --join URL --join-token T`). The join
// token is the only credential (role "public"): compared as SHA-256, in constant time, and failures
// are rate-limited per client address and in all. vmcenter records the host in hostmeta/<id> (a
// rejoining host keeps its maintenance flag, tags and join time) and answers what the host needs to
// verify cluster tokens offline and to reach etcd.
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { VmctlError } from "@vmctl/api-types";
import { keys, type HostMeta, type SigningKeyRecord } from "../cluster-keys.js";
import type { CenterContext } from "../center-context.js";
import { issuerOf } from "../cluster-token.js";
import { JOIN_PATH, JoinAnswerSchema, JoinRequestSchema, type JoinAnswer } from "../agent/join-wire.js";
import { joinTokenMatches } from "./bootstrap.js";
import { replicaKeys, type ReplicaRecord } from "./election.js";
import { responses } from "./openapi.js";
import { sourceOf } from "./role-hook.js";

/** Failed joins tolerated per client address, and from all addresses, within the window. */
export const JOIN_FAILURES_PER_SOURCE = 5;
export const JOIN_FAILURES_TOTAL = 50;
export const JOIN_WINDOW_MS = 60_000;

class FailureWindow {
  private readonly failures = new Map<string, number[]>();
  private total: number[] = [];

  /** Throws rate_limited while this source (or everyone) failed too often lately. */
  check(source: string, now = Date.now()): void {
    this.total = this.total.filter((t) => now - t < JOIN_WINDOW_MS);
    const mine = (this.failures.get(source) ?? []).filter((t) => now - t < JOIN_WINDOW_MS);
    if (mine.length) this.failures.set(source, mine);
    else this.failures.delete(source);
    const busiest = mine.length >= JOIN_FAILURES_PER_SOURCE ? mine : this.total.length >= JOIN_FAILURES_TOTAL ? this.total : null;
    if (busiest) {
      const retryAfter = Math.max(1, Math.ceil((busiest[0]! + JOIN_WINDOW_MS - now) / 1000));
      throw new VmctlError("rate_limited", `too many joins with a wrong join token; wait ${retryAfter} s and check the token (initial-admin.json → joinToken)`, { retryAfterSeconds: retryAfter });
    }
  }

  fail(source: string, now = Date.now()): void {
    this.total.push(now);
    const mine = this.failures.get(source) ?? [];
    mine.push(now);
    this.failures.set(source, mine.slice(-JOIN_FAILURES_PER_SOURCE));
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!); // a flood of addresses cannot grow memory
  }
}

export async function registerJoinRoute(root: FastifyInstance, ctx: CenterContext, options: { etcdEndpoints: string[] }): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const failures = new FailureWindow();
  app.post(JOIN_PATH, {
    config: { role: "public" },
    bodyLimit: 64 * 1024,
    schema: { summary: "A host joins the cluster with the join token (vmctld --join); answers vmcenter's public keys and etcd's endpoints", body: JoinRequestSchema, response: responses({ 200: JoinAnswerSchema }, 401, 429) },
  }, async (request): Promise<JoinAnswer> => {
    const source = sourceOf(request);
    failures.check(source);
    const { joinToken, host } = request.body;
    if (!(await joinTokenMatches(ctx.store, joinToken))) {
      failures.fail(source);
      request.log.warn({ source, host: host.id }, "join refused: wrong join token");
      throw new VmctlError("unauthenticated", "the join token is not this cluster's; take joinToken from vmcenter's initial-admin.json");
    }
    const signing = await ctx.store.get<SigningKeyRecord>(keys.signingKey());
    if (!signing) throw new VmctlError("cluster_unavailable", "the cluster has no signing key in etcd yet; retry once vmcenter has started");
    const now = new Date().toISOString();
    let rejoined = false;
    let certChanged = false;
    await ctx.store.update<HostMeta>(keys.hostMeta(host.id), (current) => {
      rejoined = current !== null;
      certChanged = current !== null && current.certPem !== host.certPem;
      return {
        id: host.id, name: host.name, url: host.url, certPem: host.certPem,
        joinedAt: current?.joinedAt ?? now, maintenance: current?.maintenance ?? false, schedulable: current?.schedulable ?? true,
        tags: current?.tags ?? [], deadSince: current?.deadSince ?? null,
      };
    });
    if (certChanged) request.log.warn({ host: host.id, source }, "a host rejoined with another TLS certificate; vmcenter pins the new one");
    await ctx.events.emit("cluster.host.joined", {
      target: `host/${host.id}`, message: `host ${host.name} (${host.url}) ${rejoined ? "joined again" : "joined the cluster"}`,
      data: { host: host.id, name: host.name, url: host.url, rejoined },
    });
    const replicas = await ctx.store.list<ReplicaRecord>(replicaKeys.replicas()).catch(() => []);
    const centerUrls = [...new Set([ctx.url, ...replicas.map((r) => r.value.url)].filter((url) => url !== ""))];
    return { clusterId: ctx.clusterId, issuer: issuerOf(ctx.clusterId), publicKeysPem: [signing.value.publicKeyPem], etcd: { endpoints: options.etcdEndpoints }, centerUrls };
  });
}
