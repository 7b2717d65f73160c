// The one writer of VM definitions (<ds>/<vm>/<vm>.toml): every change vmctld makes is read,
// validated, edited as data or as text, and written atomically here (temp file, fsync, rename, fsync
// of the folder), keeping the VM's uuid and refreshing its inventory entry and ETag at once.
// definition-store.test.ts scans the daemon for writers of a definition outside this file.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import type { VmDefinition, VmDefinitionInput } from "@vmctl/api-types";
import { DefinitionError, definitionToToml, nameNewDisks, nameNewDisksInToml, parseDefinitionToml, setTopLevelValue, validateDefinition } from "@vmctl/definition";
import type { Inventory, InventoryEntry } from "./inventory.js";
import { writeFileAtomic, writeFileAtomicSync } from "./atomic-write.js";

/** A definition as a TOML document, for edits as data (a disk added, the template flag). */
export type DefinitionDocument = VmDefinitionInput & Record<string, unknown>;
export type DefinitionMutator = (doc: DefinitionDocument) => void;

/**
 * A structural edit of a definition text: parsed, changed as data, validated again and rendered.
 * The comment block at the top of a hand-written file is kept; comments further down are not.
 */
export function editDefinitionText(text: string, mutate: DefinitionMutator): { text: string; def: VmDefinition } {
  const doc = parseToml(text) as DefinitionDocument;
  mutate(doc);
  const def = validateDefinition(doc);
  const header = text.split("\n");
  const firstCode = header.findIndex((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const comments = firstCode > 0 ? `${header.slice(0, firstCode).join("\n").trimEnd()}\n` : "";
  return { text: comments + definitionToToml(doc), def };
}

/**
 * A definition given as data (JSON), validated and rendered as the TOML that will be stored. A new
 * disk given only a size is named by the one rule (defaultDiskFile: <vm>/<disk>.qcow2).
 */
export function renderDefinition(input: unknown, file?: string): { text: string; def: VmDefinition } {
  const named = nameNewDisks(input);
  const def = validateDefinition(named, file === undefined ? {} : { file });
  return { text: definitionToToml(named as VmDefinitionInput), def };
}

/** A definition document rendered for a reader to see (a copy with secrets hidden): never stored. */
export function renderForReader(doc: VmDefinitionInput): string {
  return definitionToToml(doc);
}

/** A definition given as TOML, with each new disk given only a size named by the same rule. */
export function nameNewDisksInText(text: string): string {
  return nameNewDisksInToml(text, (doc) => definitionToToml(doc as VmDefinitionInput));
}

export class DefinitionStore {
  constructor(private readonly inventory: Inventory) {}

  /** The VM's entry (text, ETag, definition or its error), re-read when the file changed on disk. */
  read(name: string): InventoryEntry {
    return this.inventory.get(name);
  }

  /** Parses and validates a definition text; the error names the file, line and field. */
  validate(text: string, file?: string): VmDefinition {
    return parseDefinitionToml(text, file === undefined ? {} : { file });
  }

  /** Changes a stored definition as data and writes it back. */
  async edit(name: string, mutate: DefinitionMutator): Promise<InventoryEntry> {
    const entry = this.read(name);
    return this.write(name, entry.datastore, editDefinitionText(entry.text, mutate).text);
  }

  /**
   * Writes a definition: validated first (nothing is written if it does not validate, or names
   * another VM), atomically, then re-read so the entry and its ETag are the new ones. A text
   * without a uuid (one saved before the VM had one, by a snapshot say) keeps the uuid the VM has.
   */
  async write(name: string, datastore: string, text: string): Promise<InventoryEntry> {
    const file = this.fileOf(name, datastore);
    const def = this.validate(text, file);
    if (def.name !== name) throw new DefinitionError([{ field: "name", message: `is "${def.name}" but the file is ${name}/${name}.toml; the name must match its folder` }], file);
    const uuid = this.inventory.identity(name);
    const kept = uuid !== undefined && def.uuid === undefined ? setTopLevelValue(text, "uuid", uuid) : text;
    await writeFileAtomic(file, kept);
    return this.inventory.refresh(name, datastore);
  }

  /**
   * The VM's uuid, given to a valid definition without one (older, or hand-written) and written
   * back: a grant binds to it. Synchronous, as the grant store asks while it answers; undefined
   * when there is no such VM, its definition is invalid, or its datastore is read-only.
   */
  assignUuid(name: string): string | undefined {
    let entry = this.inventory.find(name);
    if (!entry?.def) return undefined;
    if (entry.def.uuid !== undefined) return entry.def.uuid;
    const taken = new Set(this.inventory.list().map((e) => e.def?.uuid));
    let uuid = randomUUID();
    while (taken.has(uuid)) uuid = randomUUID();
    try {
      writeFileAtomicSync(entry.file, setTopLevelValue(entry.text, "uuid", uuid));
    } catch {
      return undefined; // a read-only datastore: the grant stays unbound and binds to the uuid the VM gets later
    }
    entry = this.inventory.refresh(name, entry.datastore);
    return entry.def?.uuid;
  }

  private fileOf(name: string, datastore: string): string {
    return join(this.inventory.folderOf(name, datastore), `${name}.toml`);
  }
}
