// Writes go to the leader: a non-GET /api/v1/cluster/* request (but the join, which any replica
// takes) or a cancel of a cluster task that reaches another replica is streamed to the leader's URL
// as it came (body, auth headers), trusting exactly the certificate the leader announced in etcd,
// and its answer is streamed back. A request already forwarded once is never forwarded again.
import { request as httpsRequest } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";
import { VmctlError } from "@vmctl/api-types";
import type { CenterContext } from "../center-context.js";
import type { ReplicaRecord } from "./election.js";

export const FORWARDED_HEADER = "x-vmctl-forwarded-by";
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"]);

/** Whether this request must run on the leader. */
export function needsLeader(method: string, url: string, clusterId: string): boolean {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  const path = url.split("?")[0]!;
  if (path === "/api/v1/cluster/join") return false;
  if (path.startsWith("/api/v1/cluster/") || path === "/api/v1/cluster") return true;
  const task = /^\/api\/v1\/tasks\/([^/]+)(\/cancel)?$/.exec(path);
  if (!task) return false;
  let id: string;
  try {
    id = decodeURIComponent(task[1]!);
  } catch {
    return false;
  }
  return id.startsWith(`${clusterId}:`);
}

export function forwardHeaders(headers: IncomingHttpHeaders, replicaId: string, address: string | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && name !== FORWARDED_HEADER) out[name] = value;
  out[FORWARDED_HEADER] = replicaId;
  if (address) out["x-forwarded-for"] = address;
  return out;
}

export function registerWriteForwarding(app: FastifyInstance, ctx: CenterContext, replicas: () => Promise<ReplicaRecord[]>): void {
  app.addHook("onRequest", async (request, reply) => {
    if (ctx.isLeader() || !needsLeader(request.method, request.url, ctx.clusterId)) return;
    if (request.headers[FORWARDED_HEADER] !== undefined) throw new VmctlError("cluster_unavailable", "the vmcenter lead is moving between replicas; retry in a few seconds");
    const leaderUrl = ctx.leaderUrl();
    if (!leaderUrl) throw new VmctlError("cluster_unavailable", "no vmcenter replica leads yet (an election is under way); retry in a few seconds");
    const leader = (await replicas()).find((replica) => replica.url === leaderUrl);
    if (!leader) throw new VmctlError("cluster_unavailable", `the leading replica ${leaderUrl} has no record in etcd yet; retry in a few seconds`);
    const target = new URL(request.url, leaderUrl);
    await new Promise<void>((resolve, reject) => {
      let answered = false;
      const upstream = httpsRequest(target, {
        method: request.method,
        headers: forwardHeaders(request.headers, ctx.replicaId, request.raw.socket?.remoteAddress),
        ca: leader.certPem,
        // The leader's own certificate, pinned: trusted whatever name it carries.
        checkServerIdentity: () => undefined,
        // The leader's own certificate is the trust anchor, CA-signed (the demo's) or not.
        allowPartialTrustChain: true,
        timeout: 60_000,
      }, (response) => {
        answered = true;
        void reply.hijack();
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        reply.raw.writeHead(response.statusCode ?? 502, headers);
        response.pipe(reply.raw);
        response.on("end", () => resolve());
        response.on("error", () => { reply.raw.destroy(); resolve(); });
      });
      upstream.on("timeout", () => upstream.destroy(new Error("no answer in 60 s")));
      upstream.on("error", (error) => {
        if (answered) { reply.raw.destroy(); resolve(); return; }
        reject(new VmctlError("cluster_unavailable", `the leading vmcenter replica ${leaderUrl} does not answer (${error.message}); retry in a few seconds`));
      });
      request.log.debug({ leader: leaderUrl, url: request.url }, "forwarding a write to the leader");
      request.raw.pipe(upstream);
    });
  });
}
