#!/usr/bin/env node
// vmctl: the command line of vmctld. Every command takes --json; errors go to stderr with exit status 1.
import { Command, CommanderError } from "commander";
import type { GlobalOptions } from "./context.js";
import { reportError } from "./output.js";
import { registerLs } from "./commands/ls.js";
import { registerShow } from "./commands/show.js";
import { registerCreate } from "./commands/create.js";
import { registerPower } from "./commands/power.js";
import { registerDestroy } from "./commands/destroy.js";
import { registerEdit } from "./commands/edit.js";
import { registerConsole } from "./commands/console.js";
import { registerEvents } from "./commands/events.js";
import { registerGuest } from "./commands/guest.js";
import { registerLogin } from "./commands/login.js";
import { registerAdmin } from "./commands/admin.js";
import { registerDisk } from "./commands/disk.js";
import { registerCdrom } from "./commands/cdrom.js";
import { registerSnapshot } from "./commands/snapshot.js";
import { registerClone } from "./commands/clone.js";
import { registerTransfer } from "./commands/transfer.js";
import { registerDatastore } from "./commands/datastore.js";

const program = new Command("vmctl")
  .description("manage the VMs of a vmctl host")
  .option("--home <dir>", "vmctld's home: talk to <dir>/vmctld.sock (default $VMCTL_HOME, /var/lib/vmctl for root, else ~/.local/share/vmctl)")
  .option("--url <url>", "talk to vmctld at this URL instead of the unix socket")
  .option("--json", "machine-readable output")
  .showHelpAfterError()
  .exitOverride();

const globals = () => program.opts<GlobalOptions>();
for (const register of [registerLs, registerShow, registerCreate, registerPower, registerDestroy, registerEdit, registerConsole, registerEvents, registerGuest, registerLogin, registerAdmin, registerDisk, registerCdrom, registerSnapshot, registerClone, registerTransfer, registerDatastore]) {
  register(program, globals);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.exit(reportError(error, globals().json ?? false));
}
