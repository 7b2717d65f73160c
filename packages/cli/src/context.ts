// Which vmctld a command talks to: --url, or the unix socket under --home / $VMCTL_HOME / /var/lib/vmctl (root) / ~/.local/share/vmctl.
import { join } from "node:path";
import { homedir } from "node:os";
import { existsSync } from "node:fs";
import { VmctlClient } from "@vmctl/client";
import { readCredentials, normalizeUrl } from "./credentials.js";

export interface GlobalOptions { home?: string; url?: string; json?: boolean }

/** The same rule as vmctld's: $VMCTL_HOME, /var/lib/vmctl for root, else the XDG data folder. */
export function defaultHome(): string {
  if (process.env.VMCTL_HOME) return process.env.VMCTL_HOME;
  if (process.getuid?.() === 0) return "/var/lib/vmctl";
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "vmctl");
}

/**
 * --url uses what `vmctl login` saved for that server; without it, the local unix socket (root's
 * way in, no login) when it exists, else the server of the last login.
 */
export function clientFor(options: GlobalOptions): VmctlClient {
  const saved = readCredentials();
  const socketPath = join(options.home ?? defaultHome(), "vmctld.sock");
  const url = options.url ? normalizeUrl(options.url) : !options.home && !existsSync(socketPath) ? saved.current : undefined;
  if (url) {
    const login = saved.logins[url];
    return new VmctlClient(login ? { url, token: login.token, pinnedCert: login.cert } : { url });
  }
  return new VmctlClient({ socketPath });
}
