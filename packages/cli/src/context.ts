// Which vmctld a command talks to: --url, or the unix socket under --home / $VMCTL_HOME / ~/.local/share/vmctl.
import { join } from "node:path";
import { homedir } from "node:os";
import { VmctlClient } from "@vmctl/client";

export interface GlobalOptions { home?: string; url?: string; json?: boolean }

export function defaultHome(): string {
  return process.env.VMCTL_HOME || join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "vmctl");
}

export function clientFor(options: GlobalOptions): VmctlClient {
  if (options.url) return new VmctlClient({ url: options.url });
  return new VmctlClient({ socketPath: join(options.home ?? defaultHome(), "vmctld.sock") });
}
