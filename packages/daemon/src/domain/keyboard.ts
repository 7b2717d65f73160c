// Text to QEMU key codes (qcodes) on a US layout, so a string can be typed into a guest as
// keystrokes: what "paste as keystrokes" in a graphical console needs.

export interface KeyPress { keys: string[] }

const SHIFTED: Record<string, string> = {
  "!": "1", "@": "2", "#": "3", $: "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
  _: "minus", "+": "equal", "{": "bracket_left", "}": "bracket_right", "|": "backslash", ":": "semicolon",
  '"': "apostrophe", "~": "grave_accent", "<": "comma", ">": "dot", "?": "slash",
};
const PLAIN: Record<string, string> = {
  " ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal", "[": "bracket_left", "]": "bracket_right",
  "\\": "backslash", ";": "semicolon", "'": "apostrophe", "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash",
};

/** The key presses that type `text`; throws on a character a US keyboard cannot type. */
export function textToKeyPresses(text: string): KeyPress[] {
  return [...text].map((char) => {
    if (/^[a-z0-9]$/.test(char)) return { keys: [char] };
    if (/^[A-Z]$/.test(char)) return { keys: ["shift", char.toLowerCase()] };
    const plain = PLAIN[char];
    if (plain) return { keys: [plain] };
    const shifted = SHIFTED[char];
    if (shifted) return { keys: ["shift", shifted] };
    throw new RangeError(`cannot type ${JSON.stringify(char)} (U+${char.codePointAt(0)!.toString(16).padStart(4, "0")}) on a US keyboard`);
  });
}
