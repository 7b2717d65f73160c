import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadHostConfig } from "./host-config.js";

const homes: string[] = [];
function home(toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cfg-test-"));
  homes.push(dir);
  if (toml !== undefined) writeFileSync(join(dir, "vmctld.toml"), toml);
  return dir;
}
afterEach(() => { for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true }); });

describe("vmctld.toml", () => {
  it("has safe defaults without a file: loopback 8443 and the local datastore", async () => {
    const dir = home();
    const config = await loadHostConfig(dir);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(config.datastores).toEqual({ local: join(dir, "datastores/local") });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes an address to serve (always HTTPS with authentication), and refuses a host name", async () => {
    await expect(loadHostConfig(home('listen = "0.0.0.0:8443"\n'))).resolves.toMatchObject({ listen: { host: "0.0.0.0", port: 8443 } });
    await expect(loadHostConfig(home(), { listen: "[::1]:9000" })).resolves.toMatchObject({ listen: { host: "::1", port: 9000 } });
    await expect(loadHostConfig(home('listen = "example.com:8443"\n'))).rejects.toThrow(/"example.com" is not an IP address/);
  });

  it("names the line of an unknown key and suggests the right one", async () => {
    await expect(loadHostConfig(home('log_level = "info"\nlisen = "127.0.0.1:1"\n'))).rejects.toThrow(/vmctld\.toml:2: lisen: unknown key.*did you mean "listen"/);
    await expect(loadHostConfig(home('log_level = "loud"\n'))).rejects.toThrow(/log_level: is "loud"; expected one of "trace"/);
  });

  it("takes host networks as [networks.NAME] tables, refusing an unknown key or kind with the field named", async () => {
    expect((await loadHostConfig(home('[networks.default]\nkind = "user"\n[networks.lab]\nkind = "isolated"\nsubnet = "10.5.0.0/24"\n'))).networks)
      .toEqual({ default: { kind: "user" }, lab: { kind: "isolated", subnet: "10.5.0.0/24" } });
    expect((await loadHostConfig(home())).networks).toEqual({});
    await expect(loadHostConfig(home('[networks.lab]\nkind = "isolated"\nsubnett = "10.5.0.0/24"\n'))).rejects.toThrow(/vmctld\.toml:3: networks\.lab\.subnett: unknown key.*did you mean "subnet"/);
    await expect(loadHostConfig(home('[networks.lab]\nkind = "wifi"\n'))).rejects.toThrow(/networks\.lab\.kind: is "wifi"; expected one of "nat"/);
  });

  it("takes the largest upload as a size with a unit, 64 GiB unless set", async () => {
    expect((await loadHostConfig(home())).maxUploadBytes).toBe(64 * 1024 ** 3);
    expect((await loadHostConfig(home('max_upload_size = "1.5GiB"\n'))).maxUploadBytes).toBe(1.5 * 1024 ** 3);
    await expect(loadHostConfig(home('max_upload_size = "lots"\n'))).rejects.toThrow(/max_upload_size: is "lots"/);
  });

  it("keeps events 30 days / 200k rows and audit 90 days / 200k unless set, and refuses nonsense", async () => {
    const day = 24 * 3600_000;
    expect((await loadHostConfig(home())).retention).toEqual({ events: { maxAgeMs: 30 * day, maxRows: 200_000 }, audit: { maxAgeMs: 90 * day, maxRows: 200_000 } });
    const set = await loadHostConfig(home("event_retention_days = 7\nevent_max_rows = 5000\naudit_retention_days = 365\naudit_max_rows = 1000000\n"));
    expect(set.retention).toEqual({ events: { maxAgeMs: 7 * day, maxRows: 5000 }, audit: { maxAgeMs: 365 * day, maxRows: 1_000_000 } });
    expect(Object.isFrozen(set.retention.events)).toBe(true);
    await expect(loadHostConfig(home("event_retention_days = 0\n"))).rejects.toThrow(/vmctld\.toml:1: event_retention_days: is 0/);
    await expect(loadHostConfig(home("audit_max_rows = 10\n"))).rejects.toThrow(/audit_max_rows: is 10; expected/);
    await expect(loadHostConfig(home('audit_retention_days = "forever"\n'))).rejects.toThrow(/audit_retention_days: is "forever"/);
  });
});
