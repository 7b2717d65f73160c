// Shell completion as a user gets it: `source <(vmctl completion bash)` (and zsh's), then TAB in
// places that take VM, snapshot or datastore names, which the script asks of the real host through
// `vmctl __complete`. The completion function runs with the words a shell would give it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { TestHost, guestDefinition } from "./harness.js";

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, "../../bin");
let host: TestHost;

beforeAll(async () => {
  // A second network from vmctld.toml, of kind user: nothing is made on the host for it.
  host = await TestHost.start({ config: `[networks.lan-cfg]\nkind = "user"\n` });
  await host.client.createVm(guestDefinition("web-1"));
  await host.client.createVm(guestDefinition("web-2", { disks: { disk0: { file: "web-2/disk0.qcow2", size: "16MiB" } } }));
  await host.client.createVm(guestDefinition("db"));
  for (const name of ["base", "upgrade"]) {
    const task = await host.client.createSnapshot("web-2", { name });
    expect((await host.client.getTask(task.id, 60)).state).toBe("success");
  }
});
afterAll(async () => { await host?.close(); });

/** `vmctl` on PATH is this checkout's bin/vmctl; VMCTL_HOME points it at the test host unless told otherwise. */
function shellEnv(home: string | undefined = host.home): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH}` };
  if (home) env.VMCTL_HOME = home;
  else delete env.VMCTL_HOME;
  return env;
}

/** What bash's TAB offers after `line` (its last word is the one being completed, "" for a fresh one). */
async function bashCompletes(words: string[], env = shellEnv()): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const script = `source <(vmctl completion bash) && COMP_WORDS=(${quoted}) && COMP_CWORD=${words.length - 1} && _vmctl && printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run("bash", ["-c", script], { env });
  return stdout.split("\n").filter(Boolean).sort();
}

/**
 * What zsh offers: _vmctl run with the words and CURRENT the completion system sets, compadd
 * replaced by a function that prints what it is given (the completion widgets need a terminal).
 */
async function zshCompletes(words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const script = [
    "autoload -Uz compinit && compinit -u -D",
    "source <(vmctl completion zsh)",
    "compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2} }",
    `words=(${quoted}); CURRENT=${words.length}`,
    "_vmctl",
  ].join("\n");
  const { stdout } = await run("zsh", ["-f", "-c", script], { env: shellEnv() });
  return stdout.split("\n").filter(Boolean).sort();
}

describe("vmctl completion bash", () => {
  it("is a script bash accepts", async () => {
    const { stdout } = await run(process.execPath, [join(BIN, "../packages/cli/dist/main.js"), "completion", "bash"]);
    await expect(run("bash", ["-n", "-c", stdout])).resolves.toBeDefined();
  });

  it("completes VM names where a command takes VMs, from the host", async () => {
    expect(await bashCompletes(["vmctl", "start", ""])).toEqual(["db", "web-1", "web-2"]);
    expect(await bashCompletes(["vmctl", "start", "db", "w"])).toEqual(["web-1", "web-2"]);
    expect(await bashCompletes(["vmctl", "snapshot", "ls", ""])).toEqual(["db", "web-1", "web-2"]);
    expect(await bashCompletes(["vmctl", "clone", ""])).toEqual(["db", "web-1", "web-2"]);
  });

  it("completes a VM's snapshot names after the VM, and datastore names for --datastore", async () => {
    expect(await bashCompletes(["vmctl", "snapshot", "revert", "web-2", ""])).toEqual(["base", "upgrade"]);
    expect(await bashCompletes(["vmctl", "snapshot", "rm", "web-1", ""])).toEqual([]);
    expect(await bashCompletes(["vmctl", "clone", "web-2", "copy", "--snapshot", ""])).toEqual(["base", "upgrade"]);
    expect(await bashCompletes(["vmctl", "clone", "web-2", "copy", "--datastore", ""])).toEqual(["images", "local"]);
    expect(await bashCompletes(["vmctl", "ds", "files", ""])).toEqual(["images", "local"]);
  });

  it("completes commands, subcommands and options from the command tree", async () => {
    expect(await bashCompletes(["vmctl", "sh"])).toEqual(["show", "shutdown"]);
    expect(await bashCompletes(["vmctl", "snapshot", ""])).toEqual(["create", "delete", "list", "ls", "revert", "rm"]);
    expect(await bashCompletes(["vmctl", "stop", "--f"])).toEqual(["--force"]);
    expect(await bashCompletes(["vmctl", "cdrom", "add", "db", "--bus", ""])).toEqual(["ide", "sata", "scsi"]);
  });

  it("completes network names for --network, --parent and network show|rm", async () => {
    expect(await bashCompletes(["vmctl", "create", "x", "--network", ""])).toEqual(["default", "lan-cfg"]);
    expect(await bashCompletes(["vmctl", "network", "show", ""])).toEqual(["default", "lan-cfg"]);
    expect(await bashCompletes(["vmctl", "network", "rm", "l"])).toEqual(["lan-cfg"]);
    expect(await bashCompletes(["vmctl", "network", "create", "pg", "--kind", "portgroup", "--parent", ""])).toEqual(["default", "lan-cfg"]);
  });

  it("asks the host given by --home on the line, and offers nothing when vmctld cannot be reached", async () => {
    expect(await bashCompletes(["vmctl", "--home", host.home, "show", ""], shellEnv(undefined))).toEqual(["db", "web-1", "web-2"]);
    expect(await bashCompletes(["vmctl", "--home", join(host.home, "nowhere"), "show", ""], shellEnv(undefined))).toEqual([]);
  });

  it("answers __complete with one name a line (networks too), and no trace on failure", async () => {
    const cli = (args: string[], env = shellEnv()) => run("vmctl", args, { env });
    expect((await cli(["__complete", "vms"])).stdout).toBe("db\nweb-1\nweb-2\n");
    expect((await cli(["__complete", "datastores"])).stdout.split("\n").sort()).toEqual(["", "images", "local"]);
    // The test host's default network (user mode outside a namespace) and one from vmctld.toml.
    const networks = await cli(["__complete", "networks"]);
    expect(networks.stderr).toBe("");
    expect(networks.stdout.split("\n").sort()).toEqual(["", "default", "lan-cfg"]);
    expect(await cli(["__complete", "snapshots", "no-such-vm"])).toMatchObject({ stdout: "", stderr: "" });
    expect(await cli(["__complete", "vms", "--home", join(host.home, "nowhere")])).toMatchObject({ stdout: "", stderr: "" });
  });
});

describe("vmctl completion zsh", () => {
  it("is a script zsh accepts, which completes commands and VM and snapshot names through the same walker", async () => {
    const { stdout } = await run("vmctl", ["completion", "zsh"], { env: shellEnv() });
    await expect(run("zsh", ["-n", "-c", stdout])).resolves.toBeDefined();
    expect(await zshCompletes(["vmctl", "start", ""])).toEqual(["db", "web-1", "web-2"]);
    expect(await zshCompletes(["vmctl", "snapshot", "revert", "web-2", ""])).toEqual(["base", "upgrade"]);
    expect(await zshCompletes(["vmctl", "clone", "web-2", "x", "--datastore", ""])).toEqual(["images", "local"]);
    expect(await zshCompletes(["vmctl", "snapshot", ""])).toEqual(["create", "delete", "list", "ls", "revert", "rm"]);
  });
});
