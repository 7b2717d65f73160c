// Finds the line of a field in TOML text, so that an error can say "web01.toml:7".
// TOML parsers do not keep positions; a line scan that follows table headers is enough here.

function splitDotted(key: string): string[] {
  return key.split(".").map((part) => part.trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1"));
}

/** 1-based line of the deepest match for `path`, or undefined when the path is not in the text. */
export function locateField(text: string, path: readonly string[]): number | undefined {
  let table: string[] = [];
  let bestLine: number | undefined;
  let bestDepth = 0;
  const consider = (full: string[], line: number) => {
    let depth = 0;
    while (depth < full.length && depth < path.length && full[depth] === path[depth]) depth++;
    if (depth === full.length && depth > bestDepth) { bestDepth = depth; bestLine = line; }
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const header = /^\[\s*([^\[\]]+?)\s*\]/.exec(line);
    if (header && !line.startsWith("[[")) {
      table = splitDotted(header[1]!);
      consider(table, index + 1);
      return;
    }
    const assignment = /^([A-Za-z0-9_."' -]+?)\s*=/.exec(line);
    if (assignment) consider([...table, ...splitDotted(assignment[1]!)], index + 1);
  });
  return bestLine;
}
