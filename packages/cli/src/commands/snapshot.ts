// vmctl snapshot ls|create|revert|rm: a VM's qcow2 snapshots; taking, reverting and deleting are
// tasks, followed to their end (progress on stderr).
import type { Command } from "commander";
import type { SnapshotRequest, Task } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { printJson, printTable } from "../output.js";
import { assertSucceeded, followTask } from "../task-follow.js";
import { snapshotTable } from "./snapshot-tree.js";

export function registerSnapshot(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const snapshot = program.command("snapshot").description("snapshots of a VM's disks (and memory while it runs)");

  /** Submits, follows and reports one task; stdout gets `done` (or the task with --json). */
  const runTask = async (vm: string, submit: (client: VmctlClient) => Promise<Task>, done: (client: VmctlClient) => Promise<string>, wait: boolean) => {
    const client = clientFor(globals());
    let task = await submit(client);
    if (wait) {
      task = await followTask(client, vm, task, json());
      assertSucceeded(task);
    }
    if (json()) return printJson(task);
    process.stdout.write(wait ? `${await done(client)}\n` : `${vm}: ${task.op} submitted as task ${task.id}\n`);
  };

  snapshot.command("ls").alias("list").description("the snapshots as a tree; \"you are here\" hangs under the current one").argument("<vm>")
    .action(async (vm: string) => {
      const list = await clientFor(globals()).listSnapshots(vm);
      if (json()) return printJson(list);
      if (list.snapshots.length === 0) {
        process.stdout.write(`${vm} has no snapshots; \`vmctl snapshot create ${vm} NAME\` takes one\n`);
        return;
      }
      const { headers, rows } = snapshotTable(list);
      printTable(headers, rows);
    });

  snapshot.command("create").description("take a snapshot: with memory while the VM runs (unless --no-memory), of the disks otherwise").argument("<vm>").argument("<name>", "snapshot name (letters, digits, - _ .; not all digits)")
    .option("-d, --description <text>", "what the snapshot is for")
    .option("--memory", "include the memory, so a revert resumes the guest where it was (the VM must run)")
    .option("--no-memory", "only the disks (crash-consistent while the guest runs)")
    .option("--no-wait", "return once the task is submitted")
    .action(async (vm: string, name: string, options: { description?: string; memory?: boolean; wait: boolean }) => {
      const request: SnapshotRequest = { name, ...(options.description !== undefined ? { description: options.description } : {}), ...(options.memory !== undefined ? { memory: options.memory } : {}) };
      await runTask(vm, (client) => client.createSnapshot(vm, request), async (client) => {
        const taken = (await client.listSnapshots(vm)).snapshots.find((s) => s.name === name);
        return `${vm}: snapshot "${name}" taken${taken?.memory ? " with memory" : " of the disks"}`;
      }, options.wait);
    });

  snapshot.command("revert").description("go back to a snapshot: a running VM resumes there if it has memory, else it is left stopped").argument("<vm>").argument("<name>")
    .option("--no-wait", "return once the task is submitted")
    .action(async (vm: string, name: string, options: { wait: boolean }) => {
      await runTask(vm, (client) => client.revertSnapshot(vm, name), async (client) => `${vm}: reverted to "${name}"; it is ${(await client.getVm(vm)).state}`, options.wait);
    });

  snapshot.command("rm").alias("delete").description("delete a snapshot; its children hang from its parent").argument("<vm>").argument("<name>")
    .option("--no-wait", "return once the task is submitted")
    .action(async (vm: string, name: string, options: { wait: boolean }) => {
      await runTask(vm, (client) => client.deleteSnapshot(vm, name), () => Promise.resolve(`${vm}: deleted snapshot "${name}"`), options.wait);
    });
}
