// Wire types, the VM definition schema, states and error codes: the vocabulary every package shares.
export * from "./errors.js";
export * from "./states.js";
export * from "./definition-schema.js";
export * from "./literal-union.js";
export * from "./wire.js";
export * from "./datastore-wire.js";
export * from "./network-wire.js";
export * from "./port-forward-wire.js";
export * from "./storage-wire.js";
export * from "./nic-wire.js";
export * from "./auth-wire.js";
export * from "./events-wire.js";
export * from "./metrics-wire.js";
export * from "./ws-wire.js";
export * from "./schema-audit.js";
export * from "./lifecycle-wire.js";
