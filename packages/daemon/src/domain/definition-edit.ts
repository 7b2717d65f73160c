// Structural edits of a definition by vmctld itself (a disk added, an ISO changed, a template
// flag): the TOML is parsed, changed as data, validated again and written back. The comment block
// at the top of a hand-written file is kept; comments further down are not (say so in the docs).
import { parse as parseToml } from "smol-toml";
import { definitionToToml, validateDefinition } from "@vmctl/definition";
import type { VmDefinition, VmDefinitionInput } from "@vmctl/api-types";

export type DefinitionDocument = VmDefinitionInput & Record<string, unknown>;

export function editDefinitionText(text: string, mutate: (doc: DefinitionDocument) => void): { text: string; def: VmDefinition } {
  const doc = parseToml(text) as DefinitionDocument;
  mutate(doc);
  const def = validateDefinition(doc);
  const header = text.split("\n");
  const firstCode = header.findIndex((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const comments = firstCode > 0 ? `${header.slice(0, firstCode).join("\n").trimEnd()}\n` : "";
  return { text: comments + definitionToToml(doc), def };
}
