// Which Debian mirror debootstrap uses: the one the machine's own apt already uses, since on our
// build machines nothing else is reachable (and a user's host has a mirror it trusts there too).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

export const APT_SOURCE_FILES = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"];

/** The first `deb` URI serving `suite`, from deb822 (`.sources`) or one-line (`.list`) text; undefined when none. */
export function mirrorFromSources(text: string, suite: string): string | undefined {
  // One-line format: deb [options] URI SUITE COMPONENT...
  for (const line of text.split("\n")) {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match && match[2] === suite) return match[1];
  }
  // deb822: stanzas apart by blank lines, "Field: value" lines, '#' comments; values may continue on indented lines.
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split("\n")) {
      if (line.startsWith("#")) continue;
      const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (field?.[1] !== undefined && field[2] !== undefined) {
        last = field[1].toLowerCase();
        fields.set(last, field[2]);
      } else if (last && /^\s/.test(line)) {
        fields.set(last, `${fields.get(last) ?? ""} ${line.trim()}`);
      }
    }
    const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter((w) => w !== "");
    if (fields.get("enabled")?.trim() === "no") continue;
    if (words("types").includes("deb") && words("suites").includes(suite)) return words("uris")[0];
  }
  return undefined;
}

export async function machineMirror(suite: string): Promise<string> {
  for (const file of APT_SOURCE_FILES) {
    if (!existsSync(file)) continue;
    const uri = mirrorFromSources(await readFile(file, "utf8"), suite);
    if (uri) return uri;
  }
  throw new Error(`no apt source for Debian ${suite} in ${APT_SOURCE_FILES.join(" or ")}: add one (the Debian guest is built from the mirror the machine's apt uses), or give buildDebianGuest a mirror`);
}
