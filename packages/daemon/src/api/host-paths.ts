// What an API answer about a definition says about files: never where they are on the host. A
// definition names its files relative to its datastore ("web01/disk0.qcow2"), and so do the answers;
// vmctld's home and each datastore's root are for its logs and its administrator, not for the
// browser or a user with rights on one VM.

/** A host folder and how an answer shows what is under it ("" for a datastore: paths relative to it). */
export interface HostRoot { path: string; shownAs: string }

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `text` with every path under one of the roots shown relative to it, and a root itself as its name. */
export function hideHostPathsIn(text: string, roots: readonly HostRoot[]): string {
  let out = text;
  // The deepest first: a datastore under vmctld's home is shown as the datastore.
  for (const root of [...roots].filter((r) => r.path.length > 1).sort((a, b) => b.path.length - a.path.length)) {
    const base = root.path.replace(/\/+$/, "");
    out = out.replace(new RegExp(`${escape(base)}(?:/+|(?![\\w.-]))`, "g"), (match) => (match.endsWith("/") ? root.shownAs : root.shownAs.replace(/\/$/, "") || "."));
  }
  return out;
}

/** Every string in an answer body (its message, its details) with host paths hidden. */
export function hideHostPaths<T>(value: T, roots: readonly HostRoot[]): T {
  if (typeof value === "string") return hideHostPathsIn(value, roots) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => hideHostPaths(item, roots)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideHostPaths(v, roots)])) as T;
  return value;
}
