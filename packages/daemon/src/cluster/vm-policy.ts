// A VM's cluster policy as its definition states it: [policy] ha. Read from the validated definition;
// when the resolved definition does not carry the field (a @vmctl/definition that predates it), from
// the definition's text, which validated already.
import { parse as parseToml } from "smol-toml";
import type { InventoryEntry } from "../domain/inventory.js";

export function haOf(entry: Pick<InventoryEntry, "def" | "text">): boolean {
  if (!entry.def) return false;
  if (entry.def.policy.ha !== undefined) return entry.def.policy.ha;
  try {
    return (parseToml(entry.text) as { policy?: { ha?: unknown } }).policy?.ha === true;
  } catch {
    return false;
  }
}
