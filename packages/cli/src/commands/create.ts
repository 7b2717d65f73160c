// vmctl create: from flags (a sensible VM in one line) or from a TOML file (-f). At vmcenter the
// answer is a placement task, followed to the host it chose.
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { CRYPT_HASH_PATTERN, HOSTNAME_PATTERN, LINUX_USER_PATTERN, SSH_PUBLIC_KEY_PATTERN, type ClusterCreateResult, type ClusterTask, type VmDefinitionInput } from "@vmctl/api-types";
import { defaultDiskFile } from "@vmctl/definition/disk-file-name";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";
import { followClusterTask } from "../task-follow.js";
import { waitAndReport } from "./power.js";

/** vmcenter answers POST /api/v1/vms with a cluster.create task (202), a host with the VM itself. */
export function isClusterTask(answer: object): answer is ClusterTask {
  return "op" in answer && "state" in answer && "log" in answer && !("definitionPath" in answer);
}

interface CreateOptions {
  file?: string; cpus?: string; memory?: string; disk?: string; iso?: string; kernel?: string; initrd?: string;
  append?: string; datastore?: string; nic: boolean; network?: string[]; onCrash?: string; autostart?: boolean; start?: boolean;
  /** --ssh-key, already read (resolveSshKeys): public key lines. */
  sshKeys?: string[]; user?: string; passwordHash?: string; hostname?: string;
}

const looksLikeKey = (text: string) => /^(ssh-|ecdsa-|sk-)\S+ \S/.test(text);

/**
 * The public keys --ssh-key names: a key given as is, or a file (a .pub, or an authorized_keys
 * file: one key a line, # comments skipped). A private key is refused without being repeated.
 */
export async function resolveSshKeys(values: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  const pattern = new RegExp(SSH_PUBLIC_KEY_PATTERN);
  for (const value of values) {
    const text = looksLikeKey(value.trim()) ? value : await readFile(value, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`--ssh-key ${value}: ${error.code === "ENOENT" ? "no such file, and not a public key (\"ssh-ed25519 AAAA…\")" : error.message}; give a .pub file (e.g. ~/.ssh/id_ed25519.pub) or the key itself`, "bad_request", 2);
    });
    if (/PRIVATE KEY/.test(text)) throw new CliError(`--ssh-key ${looksLikeKey(value) ? "(the value)" : value}: is a private key; give its public half (the .pub file beside it), which never leaves a secret on the VM`, "bad_request", 2);
    const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
    if (lines.length === 0) throw new CliError(`--ssh-key ${value}: holds no key; give a .pub file or the key itself`, "bad_request", 2);
    for (const line of lines) {
      if (!pattern.test(line)) throw new CliError(`--ssh-key ${looksLikeKey(value) ? "(the value)" : value}: a line is not an OpenSSH public key (type, base64 key, optional comment, no options); give a .pub file`, "bad_request", 2);
      keys.push(line);
    }
  }
  return keys;
}

/**
 * [cloud_init] from --user, --ssh-key, --password-hash and --hostname: with --user that user, who
 * gets the keys, the hash and passwordless sudo; with keys only, they go to the image's own default
 * user (debian on Debian, ubuntu on Ubuntu images).
 */
function cloudInitFromFlags(options: CreateOptions): VmDefinitionInput["cloud_init"] | undefined {
  const keys = options.sshKeys ?? [];
  if (options.passwordHash !== undefined && !new RegExp(CRYPT_HASH_PATTERN).test(options.passwordHash)) {
    throw new CliError("--password-hash: is not a crypt(3) hash (not shown); make one with `openssl passwd -6` (or `mkpasswd -m yescrypt`) and give its output, never the password itself", "bad_request", 2);
  }
  if (options.passwordHash !== undefined && !options.user) throw new CliError("--password-hash needs --user NAME: the user whose password it is", "bad_request", 2);
  if (options.user !== undefined && !new RegExp(LINUX_USER_PATTERN).test(options.user)) {
    throw new CliError(`--user: "${options.user}" is not a Linux user name; use lower-case letters, digits, '_' or '-', starting with a letter or '_', at most 32`, "bad_request", 2);
  }
  if (options.user !== undefined && keys.length === 0 && options.passwordHash === undefined) {
    throw new CliError(`--user ${options.user} could never log in; give --ssh-key FILE (e.g. ~/.ssh/id_ed25519.pub) or --password-hash HASH`, "bad_request", 2);
  }
  if (options.hostname !== undefined && !new RegExp(HOSTNAME_PATTERN).test(options.hostname)) {
    throw new CliError(`--hostname: "${options.hostname}" is not a host name; use letters, digits and '-', in dot-separated labels of at most 63`, "bad_request", 2);
  }
  if (!options.user && keys.length === 0 && options.hostname === undefined) return undefined;
  return {
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.user ? { users: [{ name: options.user, sudo: true, ...(keys.length ? { ssh_authorized_keys: keys } : {}), ...(options.passwordHash !== undefined ? { password_hash: options.passwordHash } : {}) }] } : {}),
    ...(!options.user && keys.length ? { ssh_authorized_keys: keys } : {}),
  };
}

export function definitionFromFlags(name: string, options: CreateOptions): VmDefinitionInput {
  const cpus = options.cpus === undefined ? undefined : Number(options.cpus);
  if (cpus !== undefined && !Number.isInteger(cpus)) throw new CliError(`--cpus: "${options.cpus}" is not a whole number`, "bad_request", 2);
  const def: VmDefinitionInput = { name, ...(cpus !== undefined ? { cpus } : {}), memory: options.memory ?? "512MiB" };
  if (options.disk) def.disks = { disk0: { file: defaultDiskFile(name, "disk0"), size: options.disk } };
  if (options.iso) def.cdroms = { cdrom0: { iso: options.iso } };
  if (options.kernel || options.initrd || options.append) {
    def.boot = { ...(options.kernel ? { kernel: options.kernel } : {}), ...(options.initrd ? { initrd: options.initrd } : {}), ...(options.append ? { cmdline: options.append } : {}) };
  }
  if (options.network?.length && !options.nic) throw new CliError("--network and --no-nic contradict each other; give one", "bad_request", 2);
  // One NIC per --network (net0, net1, …), or one on the host's default network.
  if (options.nic) def.nics = Object.fromEntries((options.network?.length ? options.network : ["default"]).map((network, i) => [`net${i}`, { network, model: "virtio" as const, mac: "auto" }]));
  if (options.onCrash || options.autostart) {
    def.policy = { ...(options.onCrash ? { on_crash: options.onCrash as "restart" | "stop" } : {}), ...(options.autostart ? { autostart: true } : {}) };
  }
  const cloudInit = cloudInitFromFlags(options);
  if (cloudInit) def.cloud_init = cloudInit;
  return def;
}

export function registerCreate(program: Command, globals: () => GlobalOptions): void {
  program.command("create").description("define a new VM, from flags or from a TOML file")
    .argument("[name]", "VM name (lower case letters, digits, - _ .)")
    .option("-f, --file <def.toml>", "create from a definition file")
    .option("--cpus <n>", "virtual CPUs", undefined)
    .option("--memory <size>", "memory, e.g. 512MiB or 2GiB")
    .option("--disk <size>", "a new qcow2 disk of this size, e.g. 10GiB")
    .option("--iso <path>", "an ISO in the datastore, attached as a CD-ROM")
    .option("--kernel <path>", "kernel for direct kernel boot (datastore path)")
    .option("--initrd <path>", "initramfs for direct kernel boot (datastore path)")
    .option("--append <cmdline>", "kernel command line")
    .option("--datastore <name>", "datastore to create the VM in", "local")
    .option("--network <name>", "a virtio NIC on this host network (`vmctl network ls`); repeat for more NICs", (value: string, previous: string[] = []) => [...previous, value])
    .option("--no-nic", "no network card (default: one virtio NIC on the host's default network)")
    .option("--on-crash <restart|stop>", "what to do when the VM crashes")
    .option("--autostart", "start with the host")
    .option("--ssh-key <file|key>", "cloud-init: a public key (a .pub file or the key) that may log in; repeat for more. Without --user it goes to the image's default user", (value: string, previous: string[] = []) => [...previous, value])
    .option("--user <name>", "cloud-init: make this user (passwordless sudo) with the --ssh-key keys; `vmctl ssh` logs in as it")
    .option("--password-hash <hash>", "cloud-init: the --user's password as a crypt(3) hash (`openssl passwd -6`), never the password")
    .option("--hostname <name>", "cloud-init: the guest's host name (default: the VM's name)")
    .option("--start", "start the VM once created")
    .action(async (name: string | undefined, options: CreateOptions & { sshKey?: string[] }) => {
      const client = clientFor(globals());
      // The client's type says VmDetail, which a host answers; vmcenter answers a task.
      let vm: Awaited<ReturnType<typeof client.createVm>> | ClusterTask;
      if (options.file) {
        if (options.sshKey || options.user || options.passwordHash || options.hostname) throw new CliError("--ssh-key, --user, --password-hash and --hostname go with flags, not -f; write them into the file's [cloud_init]", "bad_request", 2);
        vm = await client.createVmFromToml(await readFile(options.file, "utf8"), options.datastore);
      } else {
        if (!name) throw new CliError("give a VM name, or -f FILE with a definition", "bad_request", 2);
        const sshKeys = await resolveSshKeys(options.sshKey ?? []);
        vm = await client.createVm(definitionFromFlags(name, { ...options, sshKeys }), options.datastore);
      }
      const json = globals().json ?? false;
      let created: { name: string; where: string; answer: unknown };
      if (isClusterTask(vm)) {
        // vmcenter: placement chooses the host (its reasons in the task's log), then that host creates the VM.
        const ended = await followClusterTask(client, name ?? "create", vm, json);
        const result = ended.result as ClusterCreateResult;
        created = { name: result.vm ?? name ?? "", where: `on ${result.hostName}`, answer: ended };
      } else {
        created = { name: vm.name, where: `(${vm.definitionPath})`, answer: vm };
      }
      if (!options.start) {
        if (json) return printJson(created.answer);
        process.stdout.write(`created ${created.name} ${created.where}\n`);
        return;
      }
      if (!json) process.stdout.write(`created ${created.name} ${created.where}\n`);
      await waitAndReport(client, [created.name], { action: "start" }, json);
    });
}
