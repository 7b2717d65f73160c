// A managed network's nftables table: loaded atomically, listed by this vmctld's prefix, deleted.
import { renderNftRuleset, type NftSpec } from "./nft-ruleset.js";
import { runNet } from "./net-commands.js";

export async function loadNftTable(spec: NftSpec): Promise<void> {
  await runNet("nft", ["-f", "-"], renderNftRuleset(spec));
}

/** The ip-family tables whose name starts with prefix. */
export async function listNftTables(prefix: string): Promise<string[]> {
  const listed = JSON.parse(await runNet("nft", ["-j", "list", "tables", "ip"])) as { nftables: { table?: { name: string } }[] };
  return listed.nftables.flatMap((entry) => (entry.table && entry.table.name.startsWith(prefix) ? [entry.table.name] : []));
}

export async function deleteNftTable(table: string): Promise<void> {
  try {
    await runNet("nft", ["delete", "table", "ip", table]);
  } catch (error) {
    if (!/No such file or directory|does not exist/i.test((error as Error).message)) throw error;
  }
}
