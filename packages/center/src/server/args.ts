// vmcenter's command line: what each option means and how a wrong one is reported.
export interface CenterArgs {
  home: string;
  listenHost: string;
  listenPort: number;
  etcd: string[];
  url?: string;
  hostCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  haGraceSeconds: number;
}

export const USAGE = `usage: vmcenter --home DIR --listen 127.0.0.1:PORT --etcd URL[,URL…] [options]

The vmctl cluster controller: hosts, placement, migration, HA and maintenance, on etcd.

  --home DIR            state and files of this replica (TLS, vmcenter.port, initial-admin.json)
  --listen HOST:PORT    where to serve HTTPS (port 0: any free port, written to DIR/vmcenter.port)
  --etcd URL[,URL…]     etcd's client URLs
  --url URL             this replica's public URL (default https://HOST:PORT as listened on)
  --host-ca FILE        CA certificate that signed the hosts' certificates (else each host's own is pinned)
  --tls-cert FILE       this replica's certificate (with --tls-key); else a self-signed one in DIR/tls/
  --tls-key FILE
  --ha-grace SECONDS    how long a host's lease may be gone before it is declared dead (default 10)
  --help                this text
`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): CenterArgs | "help" {
  const values = new Map<string, string>();
  const known = new Set(["--home", "--listen", "--etcd", "--url", "--host-ca", "--tls-cert", "--tls-key", "--ha-grace"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!known.has(name)) throw new UsageError(`unknown option ${arg}; see vmcenter --help`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
    values.set(name, value);
  }
  const home = values.get("--home");
  if (!home) throw new UsageError("--home DIR is required");
  const listen = values.get("--listen");
  if (!listen) throw new UsageError("--listen HOST:PORT is required (e.g. 127.0.0.1:9443, or 127.0.0.1:0 for any free port)");
  const match = /^(.+):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new UsageError(`--listen ${listen}: write HOST:PORT, e.g. 127.0.0.1:9443`);
  const etcd = (values.get("--etcd") ?? "").split(",").map((u) => u.trim()).filter(Boolean);
  if (!etcd.length) throw new UsageError("--etcd URL[,URL] is required (etcd's client URLs, e.g. http://127.0.0.1:2379)");
  for (const url of etcd) if (!/^https?:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`--etcd ${url}: an etcd client URL is http(s)://HOST:PORT`);
  const url = values.get("--url");
  if (url !== undefined && !/^https:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`--url ${url}: this replica's URL is https://HOST:PORT`);
  const tlsCert = values.get("--tls-cert");
  const tlsKey = values.get("--tls-key");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  const grace = values.get("--ha-grace") ?? "10";
  const haGraceSeconds = Number(grace);
  if (!Number.isFinite(haGraceSeconds) || haGraceSeconds < 1 || haGraceSeconds > 3600) throw new UsageError(`--ha-grace ${grace}: seconds, 1 to 3600`);
  return {
    home, listenHost: match[1]!.replace(/^\[(.*)\]$/, "$1"), listenPort: port, etcd, haGraceSeconds,
    ...(url ? { url: url.replace(/\/$/, "") } : {}), ...(values.get("--host-ca") ? { hostCa: values.get("--host-ca")! } : {}),
    ...(tlsCert && tlsKey ? { tlsCert, tlsKey } : {}),
  };
}
