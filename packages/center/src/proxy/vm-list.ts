// GET /api/v1/vms at vmcenter: every connected host's list, asked in parallel as the user (each host
// shows what that user may read there), merged, each VM with its host's id and name; then sorted and
// paged over the whole cluster. A host that does not answer is left out and named in a Warning header.
import type { VmList, VmSummary } from "@vmctl/api-types";
import type { CenterContext, ClusterPrincipal } from "../center-context.js";

/** A host that takes longer than this to list its VMs is left out of the answer. */
const HOST_LIST_TIMEOUT_MS = 10_000;
const SORT_KEYS = new Set(["name", "state", "cpus", "memory", "lastStateChange"]);

export type ClusterVmSummary = VmSummary & { host: string; hostName: string };
export interface ClusterListing { vms: ClusterVmSummary[]; total: number; missing: string[] }

function sortVms(vms: ClusterVmSummary[], key: string): ClusterVmSummary[] {
  const descending = key.startsWith("-");
  const field = key.replace(/^-/, "");
  if (!SORT_KEYS.has(field)) return vms;
  const value = (vm: VmSummary): string | number => (field === "memory" ? vm.memoryBytes : (vm[field as keyof VmSummary] as string | number));
  const sorted = [...vms].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) || a.name.localeCompare(b.name) || a.host.localeCompare(b.host);
  });
  return descending ? sorted.reverse() : sorted;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms); });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The cluster's VMs for `as`, filtered on each host by `state` and `name` (passed on), sorted and
 * paged here (`sort`, `offset`, `limit` apply to the merged list).
 */
export async function listClusterVms(ctx: CenterContext, as: ClusterPrincipal, query: URLSearchParams): Promise<ClusterListing> {
  const forHosts = new URLSearchParams();
  for (const key of ["state", "name"]) { const value = query.get(key); if (value !== null) forHosts.set(key, value); }
  const hostQuery = forHosts.size > 0 ? `?${forHosts.toString()}` : "";
  const hosts = await ctx.hosts.list();
  const missing: string[] = [];
  const lists = await Promise.all(hosts.map(async (host) => {
    const label = `${host.meta.name} (${host.meta.id})`;
    if (host.state !== "connected") {
      missing.push(`${label} is ${host.state}`);
      return [];
    }
    try {
      const client = await ctx.hosts.client(host.meta.id, as);
      const list = await withTimeout(client.call<VmList>("GET", `/api/v1/vms${hostQuery}`), HOST_LIST_TIMEOUT_MS, `host ${label}`);
      return list.vms.map((vm): ClusterVmSummary => ({ ...vm, host: host.meta.id, hostName: host.meta.name }));
    } catch (error) {
      missing.push(`${label} did not answer: ${(error as Error).message}`);
      ctx.logger.warn({ host: host.meta.id, err: error }, "listing a host's VMs failed");
      return [];
    }
  }));
  const all = sortVms(lists.flat(), query.get("sort") ?? "name");
  const offset = Math.max(0, Number.parseInt(query.get("offset") ?? "0", 10) || 0);
  const limitText = query.get("limit");
  const limit = limitText === null ? undefined : Math.max(0, Number.parseInt(limitText, 10) || 0);
  return { vms: all.slice(offset, limit === undefined ? undefined : offset + limit), total: all.length, missing };
}

/** A Warning header (RFC 7234 5.5, code 199) naming the hosts left out: printable ASCII, bounded. */
export function missingHostsWarning(missing: string[]): string {
  const text = `hosts left out of this list: ${missing.join("; ")}`.replace(/[^\u0020-\u007e]/g, "?").replace(/["\\]/g, "'").slice(0, 2000);
  return `199 vmcenter "${text}"`;
}
