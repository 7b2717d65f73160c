// The events table of docs/api.md follows the declared events: every type, each with every field of its data.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EVENT_DATA, EVENT_TYPES, LIVE_EVENT_TYPES, EventSchema } from "./index.js";

const doc = readFileSync(fileURLToPath(new URL("../../../docs/api.md", import.meta.url)), "utf8");
const section = doc.slice(doc.indexOf("### Events"), doc.indexOf("## WebSockets"));
const rows = section.split("\n").filter((line) => /^\| `/.test(line)).map((line) => {
  const [types = "", data = ""] = line.split("|").slice(1, 3);
  const names = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return { types: names(types), fields: names(data), nothing: data.trim() === "nothing" };
});

describe("events", () => {
  it("docs/api.md lists every event type once, with every field of its data", () => {
    expect(rows.flatMap((row) => row.types).sort()).toEqual([...EVENT_TYPES].sort());
    for (const row of rows) {
      for (const type of row.types) {
        const fields = Object.keys(EVENT_DATA[type as keyof typeof EVENT_DATA].properties);
        if (row.nothing) expect(fields, type).toEqual([]);
        else expect(fields.filter((field) => !row.fields.includes(field)), `${type}: fields missing from docs/api.md`).toEqual([]);
      }
    }
  });

  it("are a union on type, one member per type, and the live-only ones are declared too", () => {
    const members = (EventSchema as unknown as { anyOf: Array<{ properties: { type: { const: string } } }> }).anyOf;
    expect(members.map((member) => member.properties.type.const)).toEqual(EVENT_TYPES);
    for (const type of LIVE_EVENT_TYPES) expect(EVENT_TYPES).toContain(type);
  });
});
