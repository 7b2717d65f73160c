// Linear-time scans of one TOML line for the in-place writers: where strings are, where a trailing
// comment starts. Regular expressions did this before, quadratic on hostile lines (a definition
// line can be 1 MiB), which stalled vmctld.
const LINE_BREAKS = "\n\r\u2028\u2029";

/**
 * The text with each "…" string (backslash escapes inside) replaced by as many x's, so a # inside
 * one is no comment: what .replace(/"(?:[^"\\]|\\.)*"/g, …) gives, in linear time (the regex is
 * quadratic on a comment of many escaped quotes).
 */
export function blankStrings(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  let from = 0;
  for (;;) {
    const open = text.indexOf('"', from);
    if (open < 0) break;
    let i = open + 1;
    let close = -1;
    while (i < text.length) {
      if (text[i] === '"') { close = i; break; }
      if (text[i] === "\\") {
        if (i + 1 < text.length && !LINE_BREAKS.includes(text[i + 1]!)) { i += 2; continue; }
        break;
      }
      i++;
    }
    if (close >= 0) {
      parts.push(text.slice(copied, open), "x".repeat(close - open + 1));
      copied = from = close + 1;
    } else {
      // Every quote before i is an escaped one this scan went through: a scan from it ends where this one did.
      from = Math.max(i, open + 1);
    }
  }
  parts.push(text.slice(copied));
  return parts.join("");
}

/**
 * Where a trailing ` # comment` starts (the blanks before it included): what /\s+#.*$/ finds, but in
 * linear time, as that regex is quadratic on a long run of blanks (a definition line can be 1 MiB).
 */
export function trailingCommentAt(text: string): number | undefined {
  const blank = (c: string) => /\s/.test(c);
  // `.` stops at line terminators: a comment starts after the last one.
  let lastBreak = -1;
  for (let i = 0; i < text.length; i++) if (LINE_BREAKS.includes(text[i]!)) lastBreak = i;
  for (let j = Math.max(lastBreak + 1, 1); j < text.length; j++) {
    if (text[j] !== "#" || !blank(text[j - 1]!)) continue;
    let start = j - 1;
    while (start > 0 && blank(text[start - 1]!)) start--;
    return start;
  }
  return undefined;
}
