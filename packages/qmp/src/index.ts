// The QMP client: JSON over QEMU's monitor socket.
export * from "./qmp-client.js";
export * from "./commands.js";
