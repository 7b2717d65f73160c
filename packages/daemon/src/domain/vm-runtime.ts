// What vmctld knows of each VM beyond its definition: state, QEMU process, console, and why it last
// stopped. Kept by the VM's uuid (its identity), so a VM made later under a destroyed one's name
// starts afresh; persisted so a vmctld crash loses nothing. Only the lifecycle (vm-lifecycle.ts)
// changes the state.
import { VM_STATES, type VmState, type ExitReason } from "@vmctl/api-types";
import type { VmHandle } from "@vmctl/qemu";
import type { Db } from "../store/database.js";
import type { SerialConsole } from "./serial-console.js";

export interface Runtime {
  /** The VM's name when last looked up (names are not identities; the row's key is the uuid). */
  name: string;
  state: VmState;
  lastChange: string;
  pid: number | undefined;
  startedAt: string | undefined;
  lastExitReason: ExitReason | undefined;
  accel: string | undefined;
  /** The running VM, through the driver (VmDriver); undefined while no process runs. */
  process: VmHandle | undefined;
  console: SerialConsole | undefined;
  /** Set while vmctld itself is stopping the VM, so the exit is not taken for a crash. */
  stopping: boolean;
  /** The state an expected exit leads to (suspended after a save), stopped by default. */
  exitState: VmState | undefined;
  crashRestarts: number[];
  /** The tail of the VM's exclusive section (vm-lifecycle.ts). */
  lock: Promise<unknown>;
  /** Settles once the disks of the QEMU that last exited are root's again; a start waits for it. */
  filesReturned: Promise<unknown>;
}

/** How the table learns a VM's uuid: as known now, and given (written back) to a valid definition that has none. */
export interface VmIdentities {
  identity(name: string): string | undefined;
  has(name: string): boolean;
  assignUuid(name: string): string | undefined;
}

interface Row { uuid: string; name: string; state: VmState; pid: number | null; started_at: string | null; last_change: string; last_exit_reason: ExitReason | null; accel: string | null }

/** The key of a VM that has no uuid yet (its definition does not parse, or its datastore is read-only). */
const byName = (name: string) => `name:${name}`;

export class RuntimeTable {
  private readonly runtimes = new Map<string, Runtime>();
  /** The key each name last resolved to: a definition broken by hand keeps the runtime it had. */
  private readonly keys = new Map<string, string>();

  constructor(private readonly db: Db, private readonly identities: VmIdentities) {}

  /** The key of a VM's runtime row: its uuid. */
  key(name: string): string {
    const uuid = this.identities.identity(name) ?? (this.identities.has(name) ? this.identities.assignUuid(name) : undefined);
    const key = uuid ?? this.keys.get(name) ?? byName(name);
    this.keys.set(name, key);
    return key;
  }

  get(name: string): Runtime {
    const key = this.key(name);
    let rt = this.runtimes.get(key);
    if (!rt) {
      const row = this.db.prepare("SELECT * FROM vm_runtime WHERE uuid = ?").get(key) as Row | undefined;
      rt = {
        // A state this release does not know (a newer release's row, a hand edit) counts as stopped: reconcile re-attaches a live QEMU.
        name, state: row && (VM_STATES as readonly string[]).includes(row.state) ? row.state : "stopped", lastChange: row?.last_change ?? new Date().toISOString(), pid: row?.pid ?? undefined,
        startedAt: row?.started_at ?? undefined, lastExitReason: row?.last_exit_reason ?? undefined, accel: row?.accel ?? undefined,
        process: undefined, console: undefined, stopping: false, exitState: undefined, crashRestarts: [], lock: Promise.resolve(), filesReturned: Promise.resolve(),
      };
      this.runtimes.set(key, rt);
    }
    rt.name = name;
    return rt;
  }

  persist(name: string): void {
    const rt = this.get(name);
    this.db.prepare(`INSERT INTO vm_runtime (uuid, name, state, pid, started_at, last_change, last_exit_reason, accel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, state = excluded.state, pid = excluded.pid, started_at = excluded.started_at,
      last_change = excluded.last_change, last_exit_reason = excluded.last_exit_reason, accel = excluded.accel`)
      .run(this.key(name), name, rt.state, rt.pid ?? null, rt.startedAt ?? null, rt.lastChange, rt.lastExitReason ?? null, rt.accel ?? null);
  }

  /** A VM renamed: its row (by uuid) answers to the new name only; the old name resolves afresh. */
  renamed(from: string, to: string): void {
    const key = this.keys.get(from);
    this.keys.delete(from);
    if (key !== undefined) this.keys.set(to, key);
    this.persist(to);
  }

  forget(name: string): void {
    const key = this.keys.get(name) ?? this.key(name);
    this.runtimes.delete(key);
    this.keys.delete(name);
    this.db.prepare("DELETE FROM vm_runtime WHERE uuid = ?").run(key);
  }

  /**
   * Rows stored by name before runtime state followed the uuid (database migration 8): each VM in
   * the inventory takes its row over under its uuid; a row whose VM is gone is dropped, so a VM made
   * later under that name does not inherit it. A VM that cannot have a uuid yet keeps its row for later.
   */
  adoptRowsByName(names: readonly string[]): { adopted: number; dropped: number } {
    const present = new Set(names);
    const rows = this.db.prepare("SELECT * FROM vm_runtime_by_name").all() as Array<Omit<Row, "uuid">>;
    let adopted = 0;
    let dropped = 0;
    this.db.transaction(() => {
      for (const row of rows) {
        if (present.has(row.name)) {
          const key = this.key(row.name);
          if (key === byName(row.name)) continue;
          this.db.prepare(`INSERT OR IGNORE INTO vm_runtime (uuid, name, state, pid, started_at, last_change, last_exit_reason, accel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
            .run(key, row.name, row.state, row.pid, row.started_at, row.last_change, row.last_exit_reason, row.accel);
          this.runtimes.delete(key);
          adopted++;
        } else {
          dropped++;
        }
        this.db.prepare("DELETE FROM vm_runtime_by_name WHERE name = ?").run(row.name);
      }
    })();
    return { adopted, dropped };
  }
}
