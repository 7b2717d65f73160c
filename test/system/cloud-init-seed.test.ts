// A VM with [cloud_init] gets a NoCloud seed ISO (label cidata) in its run dir while its QEMU runs:
// meta-data with its uuid as instance-id and its hostname, user-data with its users, network-config
// as written; readable to the QEMU user only (root's, 0640), attached read-only, gone once it stops.
// Bad input is refused naming the field, and no password, hash or key reaches an error or the log.
// (The busybox guest cannot read the seed; test/system-slow/debian-vmctld.test.ts boots one that does.)
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { TestHost, guestDefinition } from "./harness.js";
import { https } from "./https-support.js";

const run = promisify(execFile);
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC66ic0hrSWi20LyI0RbeBuTEOTcrUQ98Duxsw7J+FRy alice@laptop";
// `openssl passwd -6 -salt saltsalt hunter2`
const HASH = "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.";
const NETWORK_CONFIG = "version: 2\nethernets:\n  all:\n    match: {name: \"e*\"}\n    dhcp4: true\n";
let host: TestHost;

beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

/** A file of the ISO, read by its Joliet name with isoinfo (genisoimage's companion). */
async function isoFile(iso: string, name: string): Promise<string> {
  return (await run("isoinfo", ["-i", iso, "-J", "-x", `/${name}`])).stdout;
}

describe("the cloud-init seed", () => {
  it("is written at start, attached read-only, readable only to the QEMU user, and removed at stop", async () => {
    const made = await host.client.createVm(guestDefinition("ci-seed", {
      cloud_init: { hostname: "seed-host", users: [{ name: "alice", ssh_authorized_keys: [KEY], password_hash: HASH, sudo: true }], network_config: NETWORK_CONFIG },
    }));
    const uuid = made.definition.uuid!;
    expect(made.definition.cloud_init).toMatchObject({ hostname: "seed-host", users: [{ name: "alice", sudo: true }] });
    const iso = join(host.home, "run", "ci-seed", "cidata.iso");
    expect(existsSync(iso)).toBe(false);

    expect((await host.cli(["start", "ci-seed"])).code).toBe(0);
    const label = (await run("isoinfo", ["-d", "-i", iso])).stdout;
    expect(label).toMatch(/Volume id: cidata/);
    expect(await isoFile(iso, "meta-data")).toBe(`instance-id: "${uuid}"\nlocal-hostname: "seed-host"\n`);
    const userData = await isoFile(iso, "user-data");
    expect(userData.split("\n")[0]).toBe("#cloud-config");
    expect(userData).toContain('name: "alice"');
    expect(userData).toContain(`"${KEY}"`);
    expect(userData).toContain('sudo: "ALL=(ALL) NOPASSWD:ALL"');
    expect(userData).toContain(`passwd: "${HASH}"`);
    expect(await isoFile(iso, "network-config")).toBe(NETWORK_CONFIG);

    // QEMU (the QEMU user) reads it, nobody else does, and QEMU may not write it.
    const info = statSync(iso);
    if (process.getuid?.() === 0) {
      const qemuGid = Number((await run("id", ["-g", "vmctl-qemu"])).stdout.trim());
      expect([info.uid, info.gid, info.mode & 0o777]).toEqual([0, qemuGid, 0o640]);
    } else {
      expect(info.mode & 0o777).toBe(0o600);
    }
    const pid = host.qemuPid("ci-seed")!;
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(argv).toContain(`driver=file,filename=${iso},node-name=file-CIDATA,read-only=on`);
    expect(argv).toContain("scsi-cd,bus=scsi0.0,drive=drive-CIDATA,id=CIDATA");

    // No NIC lease (user-mode networking): vmctl ssh says what is missing; --address overrides it.
    const noLease = await host.cli(["ssh", "ci-seed", "--", "true"]);
    expect(noLease).toMatchObject({ code: 1, stdout: "" });
    expect(noLease.stderr).toMatch(/^vmctl: no address yet: the guest has not got a DHCP lease; wait or check `vmctl show ci-seed`/);
    const printed = await host.cli(["ssh", "ci-seed", "--address", "192.0.2.7", "--port", "2200", "--print", "--", "uptime"]);
    expect(printed).toMatchObject({ code: 0, stdout: `ssh -o HostKeyAlias=vmctl-${uuid} -o StrictHostKeyChecking=accept-new -p 2200 -l alice 192.0.2.7 uptime\n` });

    expect((await host.cli(["stop", "ci-seed", "--force"])).code).toBe(0);
    expect(existsSync(iso)).toBe(false);

    // Neither the hash nor the key went into vmctld's log or the events.
    const events = JSON.stringify(await host.client.listEvents({ vm: "ci-seed" }));
    for (const secret of [HASH, "saltsalt", KEY.split(" ")[1]!]) {
      expect(host.log).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
    await host.client.destroyVm("ci-seed");
  });

  it("shows a reader without vm.edit (ReadOnly, Operator) neither the password hash nor user-data; an Admin sees them", async () => {
    await host.client.createVm(guestDefinition("ci-read", { cloud_init: { users: [{ name: "alice", password_hash: HASH }] } }));
    await host.client.createVm(guestDefinition("ci-read2", { cloud_init: { user_data: "#cloud-config\nruncmd: [\"echo token-abc123\"]\n" } }));
    for (const role of ["ReadOnly", "Operator"]) {
      const { token } = await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `ci-${role}-${randomBytes(3).toString("hex")}`, role, expires: null, user: "admin" });
      for (const path of ["/api/v1/vms/ci-read", "/api/v1/vms/ci-read/definition", "/api/v1/vms/ci-read2", "/api/v1/vms/ci-read2/definition"]) {
        const answer = await https(host.port, "GET", path, { token });
        expect(answer.status, `${role} ${path}`).toBe(200);
        expect(answer.body, `${role} ${path}`).not.toContain("saltsalt");
        expect(answer.body, `${role} ${path}`).not.toContain("token-abc123");
        expect(answer.body, `${role} ${path}`).toContain("hidden: reading it needs vm.edit");
      }
      const detail = (await https(host.port, "GET", "/api/v1/vms/ci-read", { token })).json() as { definition: { cloud_init: { users: Array<{ name: string; password_hash: string }> } } };
      expect(detail.definition.cloud_init.users[0]).toMatchObject({ name: "alice", password_hash: "(hidden: reading it needs vm.edit)" });
    }
    expect((await host.client.getVm("ci-read")).definition!.cloud_init!.users[0]!.password_hash).toBe(HASH);
    expect((await host.client.getDefinition("ci-read2")).text).toContain("token-abc123");
    for (const name of ["ci-read", "ci-read2"]) await host.client.destroyVm(name);
  });

  it("refuses a clear-text password, a private key and a bad user name, naming each field, and makes nothing", async () => {
    const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    const refused = host.client.createVm(guestDefinition("ci-bad", {
      cloud_init: { users: [{ name: "Alice", password_hash: "hunter2" }, { name: "bob", ssh_authorized_keys: [privateKey] }] },
    }));
    await expect(refused).rejects.toMatchObject({ status: 400, code: "invalid_definition" });
    const message = ((await refused.catch((error: unknown) => error)) as Error).message;
    expect(message).toContain("cloud_init.users.0.name");
    expect(message).toContain("cloud_init.users.0.password_hash");
    expect(message).toContain("openssl passwd -6");
    expect(message).toContain("cloud_init.users.1.ssh_authorized_keys.0");
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("b3BlbnNzaC1rZXkt");
    expect(host.log).not.toContain("hunter2");
    expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain("ci-bad");

    // vmctl create with --user and --ssh-key files makes the same table; a private key is refused unrepeated.
    const dir = mkdtempSync(join(tmpdir(), "vmctl-ci-keys-"));
    try {
      writeFileSync(join(dir, "id.pub"), `${KEY}\n`);
      writeFileSync(join(dir, "id"), privateKey);
      const made = await host.cli(["--json", "create", "ci-cli", "--no-nic", "--user", "bob", "--ssh-key", join(dir, "id.pub"), "--hostname", "cli-host"]);
      expect(made.code).toBe(0);
      expect((JSON.parse(made.stdout) as { definition: { cloud_init: unknown } }).definition.cloud_init).toEqual({
        hostname: "cli-host", users: [{ name: "bob", ssh_authorized_keys: [KEY], sudo: true }], ssh_authorized_keys: [], packages: [],
      });
      await host.client.destroyVm("ci-cli");
      const leaked = await host.cli(["create", "ci-cli2", "--no-nic", "--ssh-key", join(dir, "id")]);
      expect(leaked.code).toBe(2);
      expect(leaked.stderr).toContain("is a private key; give its public half");
      expect(leaked.stderr).not.toContain("b3BlbnNzaC1rZXkt");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // vmctl create --password-hash refuses a password the same way, before anything is sent.
    const cli = await host.cli(["create", "ci-bad2", "--user", "carol", "--password-hash", "hunter2", "--no-nic"]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/password_hash|password-hash/);
    expect(cli.stderr + cli.stdout).not.toContain("hunter2");
    expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain("ci-bad2");
  });
});
