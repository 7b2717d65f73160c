// What `vmctl login` remembers: per server URL, an API token and the pinned certificate, in
// ~/.config/vmctl/credentials.json (mode 0600), like ssh's known_hosts plus a key.
import { readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface SavedLogin { url: string; user: string; token: string; tokenId: string; cert: string; fingerprint: string }
export interface CredentialsFile { current?: string; logins: Record<string, SavedLogin> }

export function credentialsPath(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "vmctl", "credentials.json");
}

export function readCredentials(): CredentialsFile {
  try {
    return JSON.parse(readFileSync(credentialsPath(), "utf8")) as CredentialsFile;
  } catch {
    return { logins: {} };
  }
}

export function writeCredentials(file: CredentialsFile): void {
  const path = credentialsPath();
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function normalizeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
