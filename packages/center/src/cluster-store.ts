// The one way to etcd for vmcenter and the agents: JSON records under the keys of cluster-keys.ts,
// compare-and-swap updates (etcd's transactions: we write no consensus of our own), leases, watches.
import { Etcd3, type Lease } from "etcd3";
import { VmctlError } from "@vmctl/api-types";

export interface StoredValue<T> { key: string; value: T; modRevision: string }

export interface StoreOptions {
  endpoints: string[];
  /** TLS to etcd (PEM texts): a CA, and a client certificate and key when etcd asks for one. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** etcd's own users, when its auth is on. */
  auth?: { username: string; password: string };
}

function parse<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new VmctlError("internal", `etcd key ${key} does not hold JSON`);
  }
}

/** Maps etcd's connection failures to one retryable error a caller can show. */
async function reachable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof VmctlError) throw error;
    const message = (error as Error).message ?? String(error);
    // etcd3's circuit breaker fails calls fast for a while after several failed ones (BrokenCircuitError).
    if (/unavailable|ECONNREFUSED|deadline|connect|No connection|circuit breaker/i.test(message) || ["GRPCConnectFailedError", "BrokenCircuitError"].includes((error as object).constructor?.name ?? "")) {
      throw new VmctlError("cluster_unavailable", `etcd does not answer (${message.slice(0, 200)}); the cluster's state cannot be read or written until it does`);
    }
    throw error;
  }
}

export class ClusterStore {
  readonly etcd: Etcd3;

  constructor(options: StoreOptions) {
    this.etcd = new Etcd3({
      hosts: options.endpoints,
      ...(options.tls ? { credentials: { rootCertificate: Buffer.from(options.tls.ca ?? ""), ...(options.tls.cert ? { certChain: Buffer.from(options.tls.cert) } : {}), ...(options.tls.key ? { privateKey: Buffer.from(options.tls.key) } : {}) } } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
      // A failed call is reported at once (the callers retry on their own schedule) rather than
      // after etcd3's default back-off; a dead endpoint is tried again a second later.
      faultHandling: { global: undefined as never },
      dialTimeout: 3000,
    } as ConstructorParameters<typeof Etcd3>[0]);
  }

  async get<T>(key: string): Promise<StoredValue<T> | null> {
    return reachable(async () => {
      const answer = await this.etcd.get(key).exec();
      const kv = answer.kvs[0];
      return kv ? { key, value: parse<T>(key, kv.value.toString()), modRevision: kv.mod_revision } : null;
    });
  }

  async list<T>(prefix: string): Promise<StoredValue<T>[]> {
    return reachable(async () => {
      const answer = await this.etcd.getAll().prefix(prefix).exec();
      return answer.kvs.map((kv) => ({ key: kv.key.toString(), value: parse<T>(kv.key.toString(), kv.value.toString()), modRevision: kv.mod_revision }));
    });
  }

  async put(key: string, value: unknown, lease?: Lease): Promise<void> {
    await reachable(async () => {
      if (lease) await lease.put(key).value(JSON.stringify(value)).exec();
      else await this.etcd.put(key).value(JSON.stringify(value)).exec();
    });
  }

  /** Writes the key only if it does not exist; false when it did. */
  async create(key: string, value: unknown, lease?: Lease): Promise<boolean> {
    return reachable(async () => {
      const put = lease ? lease.put(key).value(JSON.stringify(value)) : this.etcd.put(key).value(JSON.stringify(value));
      const answer = await this.etcd.if(key, "Create", "==", 0).then(put).commit();
      return answer.succeeded;
    });
  }

  /**
   * Read, change, write back if nobody wrote in between (etcd's mod revision), retried on a race.
   * `mutate` returns the new value, or undefined to leave the key as it is; null deletes it.
   */
  async update<T>(key: string, mutate: (current: T | null) => T | null | undefined, lease?: Lease): Promise<T | null> {
    return reachable(async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const current = await this.get<T>(key);
        const next = mutate(current ? structuredClone(current.value) : null);
        if (next === undefined) return current?.value ?? null;
        const write = next === null ? this.etcd.delete().key(key) : lease ? lease.put(key).value(JSON.stringify(next)) : this.etcd.put(key).value(JSON.stringify(next));
        const guard = current ? this.etcd.if(key, "Mod", "==", current.modRevision) : this.etcd.if(key, "Create", "==", 0);
        const answer = await guard.then(write).commit();
        if (answer.succeeded) return next;
      }
      throw new VmctlError("cluster_unavailable", `etcd key ${key} changed 20 times while being updated; retry`);
    });
  }

  async delete(key: string): Promise<void> {
    await reachable(() => this.etcd.delete().key(key).exec());
  }

  async deletePrefix(prefix: string): Promise<void> {
    await reachable(() => this.etcd.delete().prefix(prefix).exec());
  }

  /**
   * Calls back for every put (value) and delete (null) under the prefix, from now on; the returned
   * function stops watching. etcd3 re-establishes a broken watch itself and replays what it missed.
   */
  async watch<T>(prefix: string, onChange: (key: string, value: T | null) => void): Promise<() => Promise<void>> {
    const watcher = await reachable(() => this.etcd.watch().prefix(prefix).create());
    watcher.on("put", (kv) => {
      try {
        onChange(kv.key.toString(), parse<T>(kv.key.toString(), kv.value.toString()));
      } catch {
        // a record that does not parse is skipped here; its reader reports it
      }
    });
    watcher.on("delete", (kv) => onChange(kv.key.toString(), null));
    watcher.on("error", () => {});
    return async () => { await watcher.cancel(); };
  }

  /** A lease that etcd3 keeps alive; `lost` fires when it could not (the host or etcd went away). */
  lease(ttlSeconds: number): Lease {
    return this.etcd.lease(ttlSeconds, { autoKeepAlive: true });
  }

  close(): void {
    this.etcd.close();
  }
}
