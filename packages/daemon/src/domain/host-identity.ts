// This host's id: a UUID made at the first start and kept in the database, so that task and event
// ids stay unique when a cluster merges several hosts' (tasks "<host>:<uuid>", events' host and uid).
import { randomUUID } from "node:crypto";
import { getMeta, setMeta, type Db } from "../store/database.js";

export function hostIdOf(db: Db): string {
  const known = getMeta(db, "host_id");
  if (known !== undefined) return known;
  const made = randomUUID();
  setMeta(db, "host_id", made);
  return made;
}
