// The QMP client: JSON over QEMU's monitor socket, one typed wrapper per command vmctl uses, typed events.
export * from "./qmp-client.js";
export * from "./commands.js";
export * from "./commands-block.js";
export * from "./commands-jobs.js";
export * from "./commands-migration.js";
export * from "./commands-guest.js";
export * from "./commands-net.js";
export * from "./events.js";
export * from "./guest-agent.js";
