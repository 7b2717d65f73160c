// The places no datastore may be: system and home directories, vmctld's home, and what holds them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootProblem } from "./datastore-roots.js";

let dir: string;
let home: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "vmctl-roots-")));
  home = join(dir, "home");
  mkdirSync(join(home, "datastores", "local"), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rules = () => ({ home, homes: ["/root", "/home/alice", "/srv/ftp"] });

describe("rootProblem", () => {
  it.each([
    ["/", /is the system directory|holds the system directory/],
    ["/etc", /is the system directory "\/etc"/],
    ["/etc/ssh", /is inside the system directory "\/etc"/],
    ["/usr/share", /inside the system directory "\/usr"/],
    ["/boot", /system directory "\/boot"/],
    ["/proc/1", /system directory "\/proc"/],
    ["/sys", /system directory "\/sys"/],
    ["/dev/shm", /system directory "\/dev"/],
    ["/run/vmctl", /system directory "\/run"/],
    ["/lib", /system directory "\/(usr|lib)"/],
    ["/var/log/vms", /system directory "\/var\/log"/],
    ["/var/backups", /system directory "\/var\/backups"/],
    ["/var", /holds the system directory "\/var\/log"/],
    ["/var/lib", /shared directory "\/var\/lib"/],
    ["/var/lib/docker", /inside "\/var\/lib", which holds the state of the host's services/],
    ["/tmp", /shared directory "\/tmp"/],
    ["/home", /shared directory "\/home"|holds the home directory/],
    ["/root", /is the home directory "\/root"/],
    ["/root/.ssh", /a dot-folder of the home directory "\/root"/],
    ["/home/alice", /is the home directory "\/home\/alice"; use a folder of its own in it, e.g. "\/home\/alice\/vms"/],
    ["/home/alice/.local/share", /dot-folder of the home directory "\/home\/alice"/],
    ["/home/bob", /is the home directory "\/home\/bob"/],
    ["/srv/ftp", /home directory "\/srv\/ftp"/],
    ["/srv", /holds the home directory "\/srv\/ftp"/],
  ])("refuses %s", (path, reason) => {
    expect(rootProblem(path, rules())).toMatch(reason);
  });

  it("refuses vmctld's home and what holds it, but not the folders below its datastores/", () => {
    expect(rootProblem(home, rules())).toMatch(/overlaps vmctld's home/);
    expect(rootProblem(join(home, "tls"), rules())).toMatch(/overlaps vmctld's home/);
    expect(rootProblem(join(home, "datastores"), rules())).toMatch(/overlaps vmctld's home/);
    expect(rootProblem(dir, rules())).toMatch(/overlaps vmctld's home/);
    expect(rootProblem(join(home, "datastores", "local"), rules())).toBeUndefined();
    expect(rootProblem(join(home, "datastores", "nas"), rules())).toBeUndefined();
  });

  it.each(["/srv/vmstore", "/var/lib/vmctl", "/var/lib/vmctl-store/a", "/home/alice/vms", "/root/vms", "/mnt/nas/vms", "/tmp/some-folder"])("accepts %s", (path) => {
    expect(rootProblem(path, rules())).toBeUndefined();
  });

  it("compares real paths: a symlink to /etc, or a path through one, is refused", () => {
    symlinkSync("/etc", join(dir, "to-etc"));
    expect(rootProblem(join(dir, "to-etc"), rules())).toBe(' (really "/etc") is the system directory "/etc"');
    expect(rootProblem(join(dir, "to-etc", "new", "deeper"), rules())).toMatch(/really "\/etc\/new\/deeper"\) is inside the system directory "\/etc"/);
  });

  it("reads the host's homes from /etc/passwd when none are given: /root always", () => {
    expect(rootProblem("/root", { home })).toMatch(/home directory "\/root"/);
  });
});
