import { describe, it, expect } from "vitest";
import { textToKeyPresses } from "./keyboard.js";

describe("textToKeyPresses", () => {
  it("types letters, capitals, digits and shifted punctuation", () => {
    expect(textToKeyPresses("aZ1 !\n")).toEqual([
      { keys: ["a"] }, { keys: ["shift", "z"] }, { keys: ["1"] }, { keys: ["spc"] }, { keys: ["shift", "1"] }, { keys: ["ret"] },
    ]);
    expect(textToKeyPresses("$(x)").map((k) => k.keys.join("+"))).toEqual(["shift+4", "shift+9", "x", "shift+0"]);
  });
  it("refuses what a US keyboard cannot type, naming the character", () => {
    expect(() => textToKeyPresses("é")).toThrow(/cannot type "é" \(U\+00e9\)/);
  });
});
