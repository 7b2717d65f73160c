// Parsing, validating and writing VM definitions (TOML), shared by vmctld and the CLI.
export * from "./parse-definition.js";
export * from "./write-definition.js";
export * from "./disk-files.js";
export * from "./issues.js";
export * from "./sizes.js";
export { suggestKey } from "./suggest.js";
export { locateField } from "./locate.js";
export { unknownKeyIssues, describeExpected, schemaAt } from "./schema-walk.js";
