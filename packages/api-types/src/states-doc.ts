// The lifecycle table as Markdown, for docs/architecture.md: generated from states.ts, and a test
// fails when the page and the table differ, so the page cannot drift from what vmctld enforces.
import { VM_ACTIONS, VM_EVENTS, VM_STATES, actionRule, eventMoves, type StateMove, type VmState } from "./states.js";

const states = (list: readonly VmState[]): string => (list.length === VM_STATES.length ? "any" : list.join(", "));
const moves = (list: readonly StateMove[]): string => (list.length === 0 ? "none" : list.map((m) => `${states(m.from)} → **${m.to}**`).join("; "));

export const LIFECYCLE_BEGIN = "<!-- lifecycle-table:begin (generated from packages/api-types/src/states.ts: node scripts/lifecycle-table.mjs) -->";
export const LIFECYCLE_END = "<!-- lifecycle-table:end -->";

export function lifecycleTableMarkdown(): string {
  const lines = ["| action | accepted in | moves it makes (failures included) |", "| --- | --- | --- |"];
  for (const action of VM_ACTIONS) {
    const rule = actionRule(action);
    lines.push(`| \`${action}\` | ${states(rule.from)} | ${moves(rule.moves)} |`);
  }
  lines.push("", "| event | moves |", "| --- | --- |");
  for (const event of VM_EVENTS) lines.push(`| \`${event}\` | ${moves(eventMoves(event))} |`);
  return [LIFECYCLE_BEGIN, ...lines, LIFECYCLE_END].join("\n");
}
