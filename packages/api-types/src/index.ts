// Wire types, the VM definition schema, states and error codes: the vocabulary every package shares.
export * from "./errors.js";
export * from "./states.js";
export * from "./definition-schema.js";
export * from "./wire.js";
export * from "./datastore-wire.js";
export * from "./storage-wire.js";
