// How vmcenter reaches its hosts: their join records (hostmeta/*) merged with their live records
// (hosts/*, under each agent's lease), a VmctlClient that acts on one host as a cluster user (a token
// minted for that host alone, its certificate pinned), and which host owns a VM by name (an index of
// vms/*/desired kept current by a watch, read again from etcd on a miss).
import type { Logger } from "pino";
import { VmctlError } from "@vmctl/api-types";
import { VmctlClient, type Endpoint } from "@vmctl/client";
import type { ClusterStore } from "./cluster-store.js";
import { MAX_TOKEN_SECONDS, type TokenSigner } from "./cluster-token.js";
import { keys, type DesiredVm, type HostMeta, type HostRecord, type HostState } from "./cluster-keys.js";
import type { ClusterHost, ClusterPrincipal, HostDirectory } from "./center-context.js";

/**
 * Tokens are minted for the longest a host takes and used for a minute: each one handed out has at
 * least 9 minutes left, which a console ticket minted with it needs (the host re-checks a socket's
 * credential, and a cluster token's ends at its exp).
 */
const TOKEN_SECONDS = MAX_TOKEN_SECONDS;
const TOKEN_REUSE_MS = 60_000;

export interface HostDirectoryImpl extends HostDirectory {
  /** The endpoint (URL, fresh token, TLS trust) `client` builds its client on: the proxy streams over it. */
  endpoint(hostId: string, as: ClusterPrincipal): Promise<Endpoint>;
  /** Stops the watch of vms/. */
  close(): Promise<void>;
}

export function hostState(meta: HostMeta, live: HostRecord | null): HostState {
  if (live) return "connected";
  return meta.deadSince ? "dead" : "disconnected";
}

interface Owner { hostId: string; uuid: string; generation: number }

export function createHostDirectory(options: { store: ClusterStore; signer: TokenSigner; hostCa?: string; logger: Logger }): HostDirectoryImpl {
  const { store, signer, hostCa, logger } = options;
  const tokens = new Map<string, { token: string; renewAt: number }>();
  // uuid → desired record's owner and name; rebuilt by the watch, name lookups scan it (a few thousand VMs at most).
  const desired = new Map<string, Owner & { name: string }>();
  let indexReady: Promise<void> | null = null;
  let stopWatch: (() => Promise<void>) | null = null;

  const desiredUuid = (key: string): string | null => {
    const match = /^\/vmctl\/vms\/([^/]+)\/desired$/.exec(key);
    return match ? match[1]! : null;
  };
  const remember = (uuid: string, record: DesiredVm | null) => {
    if (record && typeof record.name === "string" && typeof record.host === "string") {
      desired.set(uuid, { name: record.name, hostId: record.host, uuid, generation: Number(record.generation) || 0 });
    } else desired.delete(uuid);
  };
  const reload = async () => {
    const records = await store.list<DesiredVm>(keys.vms());
    const seen = new Set<string>();
    for (const { key, value } of records) {
      const uuid = desiredUuid(key);
      if (!uuid) continue;
      seen.add(uuid);
      remember(uuid, value);
    }
    for (const uuid of [...desired.keys()]) if (!seen.has(uuid)) desired.delete(uuid);
  };
  const ensureIndex = (): Promise<void> => {
    indexReady ??= (async () => {
      // Watch first, then read: a change between the two is seen by the watch, and the read after it is no older.
      stopWatch = await store.watch<DesiredVm>(keys.vms(), (key, value) => {
        const uuid = desiredUuid(key);
        if (uuid) remember(uuid, value);
      });
      await reload();
    })().catch((error: unknown) => {
      indexReady = null; // tried again on the next lookup
      throw error;
    });
    return indexReady;
  };
  const findByName = (name: string): Owner | null => {
    let best: Owner | null = null;
    for (const entry of desired.values()) if (entry.name === name && (!best || entry.generation > best.generation)) best = entry;
    return best;
  };

  const readHost = async (id: string): Promise<ClusterHost | null> => {
    const [meta, live] = await Promise.all([store.get<HostMeta>(keys.hostMeta(id)), store.get<HostRecord>(keys.host(id))]);
    if (!meta) return null;
    const record = live?.value ?? null;
    return { meta: meta.value, live: record, state: hostState(meta.value, record) };
  };

  const directory: HostDirectoryImpl = {
    async list() {
      const [metas, lives] = await Promise.all([store.list<HostMeta>(keys.hostMetas()), store.list<HostRecord>(keys.hosts())]);
      const live = new Map(lives.map(({ value }) => [value.id, value]));
      return metas
        .map(({ value: meta }) => ({ meta, live: live.get(meta.id) ?? null, state: hostState(meta, live.get(meta.id) ?? null) }))
        .sort((a, b) => a.meta.name.localeCompare(b.meta.name) || a.meta.id.localeCompare(b.meta.id));
    },

    async get(idOrName) {
      if (/^[A-Za-z0-9_.-]{1,128}$/.test(idOrName)) {
        const byId = await readHost(idOrName);
        if (byId) return byId;
      }
      const hosts = await directory.list();
      const named = hosts.filter((h) => h.meta.name === idOrName);
      if (named.length === 1) return named[0]!;
      if (named.length > 1) {
        throw new VmctlError("bad_request", `${named.length} hosts are named "${idOrName}" (${named.map((h) => h.meta.id).join(", ")}): name one by its id`, { hosts: named.map((h) => h.meta.id) });
      }
      throw new VmctlError("host_not_found", `no host "${idOrName.slice(0, 128)}" (id or name) is joined to the cluster; \`vmctl cluster hosts\` lists them`, { host: idOrName.slice(0, 128) });
    },

    async endpoint(hostId, as) {
      const host = await directory.get(hostId);
      if (!host.live) {
        throw new VmctlError("host_unreachable", `host ${host.meta.name} (${host.meta.id}) is ${host.state}: its agent's lease has expired; retry when it is back`, { host: host.meta.id, state: host.state });
      }
      const id = host.meta.id;
      const cacheKey = `${id}\u0000${as.user}\u0000${as.role}`;
      const now = Date.now();
      let cached = tokens.get(cacheKey);
      if (!cached || cached.renewAt <= now) {
        cached = { token: signer.mint(as.user, as.role, id, TOKEN_SECONDS), renewAt: now + TOKEN_REUSE_MS };
        tokens.set(cacheKey, cached);
        if (tokens.size > 10_000) for (const [key, value] of tokens) if (value.renewAt <= now) tokens.delete(key);
      }
      // Where and whom: what vmcenter wrote at (re)join, never the live record alone, which any agent
      // could write: a live record naming another address must not draw this host's tokens there.
      const url = host.meta.url || host.live.url;
      return hostCa ? { url, token: cached.token, ca: hostCa } : { url, token: cached.token, pinnedCert: host.meta.certPem };
    },

    async client(hostId, as) {
      return new VmctlClient(await directory.endpoint(hostId, as));
    },

    async ownerOf(vmName) {
      await ensureIndex();
      let owner = findByName(vmName);
      if (!owner) {
        // Just created, and the watch has not told us yet: read etcd itself before saying no.
        await reload();
        owner = findByName(vmName);
      }
      if (!owner) throw new VmctlError("vm_not_found", `no VM named "${vmName.slice(0, 128)}" in the cluster; \`vmctl ls\` (through vmcenter) lists them`, { vm: vmName.slice(0, 128) });
      return { hostId: owner.hostId, uuid: owner.uuid };
    },

    async close() {
      const stop = stopWatch;
      stopWatch = null;
      indexReady = null;
      if (stop) await stop().catch((error: unknown) => logger.debug({ err: error }, "stopping the watch of vms/ failed"));
    },
  };
  return directory;
}
