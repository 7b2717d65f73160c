// Shell-style VM name patterns ("web-*", "db-?") for `?name=` and batch selectors, matched without
// ever building a regular expression from user input: O(pattern × name) steps at worst, both ≤ 64.
import { VmctlError } from "@vmctl/api-types";

/** Longer patterns are refused: a name has at most 63 characters, so 64 already says everything. */
export const MAX_NAME_PATTERN = 64;

/**
 * `*` matches any run of characters (also none), `?` exactly one, every other character itself;
 * the whole name must match. There are no `[...]` classes: `[` is literal (and, as no VM name
 * holds one, such a pattern matches nothing).
 */
export function compileNamePattern(pattern: string, field = "name"): (name: string) => boolean {
  if (pattern.length > MAX_NAME_PATTERN) {
    throw new VmctlError("bad_request", `${field}: the pattern "${pattern.slice(0, 16)}…" has ${pattern.length} characters; at most ${MAX_NAME_PATTERN}`, { field });
  }
  return (name) => matchNamePattern(pattern, name).matched;
}

/**
 * The greedy two-pointer match: advance through both strings; at a `*` remember where it was and
 * let it match nothing; on a mismatch go back to the last `*` and let it swallow one more character.
 * Only the last star needs remembering (what an earlier one would have matched, the later one can),
 * so the name pointer never moves back past a restart point: at most (name + 1) × (pattern + 1)
 * comparisons. `steps` counts them, for tests that check the bound rather than a clock.
 */
export function matchNamePattern(pattern: string, name: string): { matched: boolean; steps: number } {
  let p = 0;
  let n = 0;
  let star = -1; // index in pattern of the last `*` seen
  let resume = 0; // index in name where that star's match ends for now
  let steps = 0;
  while (n < name.length) {
    steps++;
    const c = pattern[p];
    if (c === "*") {
      star = p++;
      resume = n;
    } else if (c !== undefined && (c === "?" || c === name[n])) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return { matched: false, steps };
    }
  }
  // The name is used up: what is left of the pattern must be stars only.
  while (pattern[p] === "*") { p++; steps++; }
  return { matched: p === pattern.length, steps };
}
