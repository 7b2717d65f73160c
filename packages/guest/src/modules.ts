// Pure kernel-module bookkeeping: modules.dep parsing, load-order resolution, kernel config parsing.

export interface ModuleEntry {
  /** Path relative to lib/modules/<version>/, as written in modules.dep. */
  path: string;
  /** Names (not paths) of the modules this one needs. */
  deps: string[];
}

/** Canonical module name: kmod treats '-' and '_' as the same character in names. */
export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, "").replaceAll("-", "_");
}

export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const entries = new Map<string, ModuleEntry>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter((d) => d !== "").map(moduleNameFromPath);
    entries.set(moduleNameFromPath(path), { path, deps });
  }
  return entries;
}

export interface LoadOrder {
  /** Every module to insmod, each after all of its dependencies. */
  order: string[];
  /** Names (wanted or needed as a dependency) that modules.dep does not know. */
  missing: string[];
}

/**
 * Orders `wanted` plus their transitive dependencies so each module follows its dependencies.
 * Dependencies are walked even if modules.dep already lists them transitively, because
 * hand-written or partial dep files need not be transitively closed.
 */
export function resolveModuleOrder(deps: ReadonlyMap<string, ModuleEntry>, wanted: readonly string[]): LoadOrder {
  const order: string[] = [];
  const missing: string[] = [];
  const state = new Map<string, "visiting" | "done">();

  const visit = (name: string, chain: string[]): void => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`module dependency cycle: ${[...chain, name].join(" -> ")}`);
    const entry = deps.get(name);
    if (!entry) {
      state.set(name, "done");
      missing.push(name);
      return;
    }
    state.set(name, "visiting");
    // modprobe loads a dep list from its end, so the walk does too: same order as the real tool.
    for (const dep of [...entry.deps].reverse()) visit(dep, [...chain, name]);
    state.set(name, "done");
    order.push(name);
  };

  for (const name of wanted) visit(name.replaceAll("-", "_"), []);
  return { order, missing };
}

/** Parses a kernel .config into CONFIG_* -> value ("y", "m", a string...); unset options are absent. */
export function parseKernelConfig(text: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) config.set(m[1], m[2].replace(/^"(.*)"$/, "$1"));
  }
  return config;
}

/** Formats a modules.dep line; used when the .deb ships no modules.dep and one is synthesised. */
export function formatModulesDepLine(path: string, depPaths: readonly string[]): string {
  return depPaths.length === 0 ? `${path}:` : `${path}: ${depPaths.join(" ")}`;
}
