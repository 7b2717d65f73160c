// What a console setting read back from localStorage may be: only the values the settings offer;
// anything else (an old version's, a hand-edited or hostile value) falls back to the default.
import { describe, it, expect } from "vitest";
import { parseFontSize, parseScale, parseScheme, FONT_SIZES, SCHEMES } from "./prefs";
import { FUNCTION_KEYS, RESET_KEYS, SYSRQ_KEYS } from "./send-keys";

describe("console settings read back", () => {
  it("accepts the offered values and nothing else", () => {
    expect(parseScale("fit")).toBe("fit");
    expect(parseScale("actual")).toBe("actual");
    for (const bad of ["", "FIT", "remote", "fit;", "__proto__"]) expect(parseScale(bad)).toBeUndefined();
    for (const size of FONT_SIZES) expect(parseFontSize(String(size))).toBe(size);
    for (const bad of ["", "0", "-14", "14.5", "1e3", "999", "NaN", "Infinity", " 14x"]) expect(parseFontSize(bad)).toBeUndefined();
    for (const name of Object.keys(SCHEMES)) expect(parseScheme(name)).toBe(name);
    // Names every object has are no scheme: the theme must come from the list.
    for (const bad of ["", "toString", "__proto__", "constructor", "hasOwnProperty", "Dark"]) expect(parseScheme(bad)).toBeUndefined();
  });

  it("the Send key menu offers Cockpit's fourteen combinations, each as QEMU key names", () => {
    const all = [...RESET_KEYS, ...FUNCTION_KEYS];
    for (const k of SYSRQ_KEYS) expect(k.keys).toEqual(["alt", "sysrq", k.label.slice(-1).toLowerCase()]);
    expect(all.map((k) => k.label)).toEqual(["Ctrl+Alt+Delete", "Ctrl+Alt+Backspace", ...Array.from({ length: 12 }, (_, i) => `Ctrl+Alt+F${i + 1}`)]);
    // vmctld's schema takes qcodes of [a-z0-9_], up to 8 pressed together.
    for (const k of [...all, ...SYSRQ_KEYS]) { expect(k.keys.every((key) => /^[a-z0-9_]{1,20}$/.test(key))).toBe(true); expect(k.keys.length).toBeLessThanOrEqual(8); }
    expect(all.find((k) => k.label === "Ctrl+Alt+F12")!.keys).toEqual(["ctrl", "alt", "f12"]);
  });
});
