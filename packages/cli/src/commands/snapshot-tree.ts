// A VM's snapshots drawn as a tree, with "you are here" under the current one as ESXi's snapshot
// manager shows it: the VM's present state descends from that snapshot.
import type { Snapshot } from "@vmctl/api-types";
import type { SnapshotList } from "@vmctl/client";

export const YOU_ARE_HERE = "you are here";

export interface TreeRow { label: string; snapshot?: Snapshot }

/** Rows in tree order: children after their parent, oldest first, with box-drawing prefixes. */
export function snapshotTree(list: SnapshotList): TreeRow[] {
  type Node = { snapshot?: Snapshot; children: Node[] };
  const here: Node = { children: [] };
  const nodes = new Map(list.snapshots.map((s): [string, Node] => [s.name, { snapshot: s, children: [] }]));
  const roots: Node[] = [];
  for (const s of list.snapshots) {
    const parent = s.parent !== null ? nodes.get(s.parent) : undefined;
    (parent ? parent.children : roots).push(nodes.get(s.name)!);
  }
  const current = list.current !== null ? nodes.get(list.current) : undefined;
  (current ? current.children : roots).push(here);

  const rows: TreeRow[] = [];
  const walk = (node: Node, indent: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    rows.push({ label: `${indent}${branch}${node.snapshot?.name ?? YOU_ARE_HERE}`, ...(node.snapshot ? { snapshot: node.snapshot } : {}) });
    const childIndent = top ? indent : `${indent}${last ? "   " : "│  "}`;
    node.children.forEach((child, i) => walk(child, childIndent, i === node.children.length - 1, false));
  };
  roots.forEach((root) => walk(root, "", true, true));
  return rows;
}

/** The table of `vmctl snapshot ls`: the tree, when each was taken, and what it holds. */
export function snapshotTable(list: SnapshotList): { headers: string[]; rows: string[][] } {
  return {
    headers: ["SNAPSHOT", "TAKEN", "VM WAS", "MEMORY", "DESCRIPTION"],
    rows: snapshotTree(list).map(({ label, snapshot: s }) => (s
      ? [label, s.createdAt.slice(0, 19).replace("T", " "), s.vmState, s.memory ? "yes" : "no", s.description]
      : [label, "", "", "", ""])),
  };
}
