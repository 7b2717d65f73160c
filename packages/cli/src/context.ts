// Which vmctld or vmcenter a command talks to, and with which credentials: the global options
// (--url, --token, --ca, --home), else the environment (VMCTL_URL, VMCTL_TOKEN, VMCTL_CA,
// VMCTL_HOME), else the unix socket under the default home, else the server of the last login.
import { join } from "node:path";
import { homedir } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { VmctlClient, type Endpoint } from "@vmctl/client";
import { readCredentials, normalizeUrl, type CredentialsFile } from "./credentials.js";
import { CliError } from "./output.js";

export interface GlobalOptions { home?: string; url?: string; token?: string; ca?: string; json?: boolean }

/** The same rule as vmctld's: $VMCTL_HOME, /var/lib/vmctl for root, else the XDG data folder. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VMCTL_HOME) return env.VMCTL_HOME;
  if (process.getuid?.() === 0) return "/var/lib/vmctl";
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "vmctl");
}

/** What the choice depends on besides the options; tests pass their own. */
export interface TargetSources {
  env: NodeJS.ProcessEnv;
  saved: CredentialsFile;
  socketExists: (path: string) => boolean;
  readFile: (path: string) => string;
}

/** A value and where it came from, named as the user wrote it ("--url", "VMCTL_URL"), for errors. */
interface Given { value: string; from: string }

/** The option when given, else the variable when set and not empty. */
function pick(option: string | undefined, optionName: string, env: NodeJS.ProcessEnv, variable: string): Given | undefined {
  if (option !== undefined) return { value: option, from: optionName };
  const value = env[variable];
  return value ? { value, from: variable } : undefined;
}

const usage = (message: string) => new CliError(message, "bad_request", 2);

function parseUrl(given: Given): string {
  let parsed: URL;
  try {
    parsed = new URL(given.value);
  } catch {
    throw usage(`${given.from} "${given.value}" is not a URL: give the server's address, e.g. https://host:8443`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw usage(`${given.from} "${given.value}" is not an https:// URL: vmctld and vmcenter serve HTTPS, e.g. https://host:8443`);
  return normalizeUrl(given.value);
}

/** A token is one header value: printable ASCII without spaces (a stray newline from a file is the usual mistake). */
function checkToken(given: Given): string {
  if (!/^[\x21-\x7e]+$/.test(given.value)) throw usage(`${given.from} holds a space, newline or other character no token has: give the token alone`);
  return given.value;
}

function readCa(given: Given, readFile: (path: string) => string): string {
  let pem: string;
  try {
    pem = readFile(given.value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usage(`${given.from} "${given.value}": cannot read the file (${code}); give the PEM file of the CA that signed the server's certificate`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) throw usage(`${given.from} "${given.value}" holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate, not its key`);
  return pem;
}

/**
 * The endpoint by the rule above. A URL uses what `vmctl login` saved for it (its token and pinned
 * certificate) unless a token or CA is given: --token without a saved login works on its own, and
 * --ca trusts that CA with the server's name checked instead of the pinned certificate. Options win
 * over the environment; --url wins over --home, --home over VMCTL_URL.
 */
export function resolveEndpoint(options: GlobalOptions, sources: TargetSources): Endpoint {
  const { env, saved } = sources;
  const urlGiven = options.url !== undefined ? { value: options.url, from: "--url" } : options.home === undefined ? pick(undefined, "--url", env, "VMCTL_URL") : undefined;
  const socketPath = join(options.home ?? defaultHome(env), "vmctld.sock");
  const url = urlGiven ? parseUrl(urlGiven) : options.home === undefined && !sources.socketExists(socketPath) ? saved.current : undefined;
  if (!url) {
    // Only a typed option is refused here; a variable left in the environment is for the next URL.
    for (const [value, name] of [[options.token, "--token"], [options.ca, "--ca"]] as const) {
      if (value !== undefined) throw usage(`${name} is for a server reached by URL: add --url https://host:PORT (or set VMCTL_URL); the unix socket ${socketPath} needs none`);
    }
    return { socketPath };
  }
  const tokenGiven = pick(options.token, "--token", env, "VMCTL_TOKEN");
  const caGiven = pick(options.ca, "--ca", env, "VMCTL_CA");
  const https = url.startsWith("https://");
  if (!https && tokenGiven) throw usage(`${tokenGiven.from} would travel in clear text to ${url}: use its https:// URL`);
  if (!https && caGiven) throw usage(`${caGiven.from} is for an https:// URL, and ${url} is plain http`);
  const login = saved.logins[url];
  const token = tokenGiven ? checkToken(tokenGiven) : login?.token;
  const trust: Pick<Endpoint, "ca" | "pinnedCert"> = caGiven ? { ca: readCa(caGiven, sources.readFile) } : login ? { pinnedCert: login.cert } : {};
  return { url, ...(token ? { token } : {}), ...trust };
}

export function clientFor(options: GlobalOptions): VmctlClient {
  return new VmctlClient(resolveEndpoint(options, {
    env: process.env,
    saved: readCredentials(),
    socketExists: existsSync,
    readFile: (path) => readFileSync(path, "utf8"),
  }));
}
