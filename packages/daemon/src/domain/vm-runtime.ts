// What vmctld knows of each VM beyond its definition: state, QEMU process, console, and why it last
// stopped. Every change is persisted (so a vmctld crash loses nothing) and written as an event.
import type { VmState, ExitReason } from "@vmctl/api-types";
import type { VmHandle } from "@vmctl/qemu";
import type { Db } from "../store/database.js";
import type { EventLog } from "./event-log.js";
import type { SerialConsole } from "./serial-console.js";

export interface Runtime {
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
  lock: Promise<unknown>;
  /** Settles once the disks of the QEMU that last exited are root's again; a start waits for it. */
  filesReturned: Promise<unknown>;
}

interface Row { name: string; state: VmState; pid: number | null; started_at: string | null; last_change: string; last_exit_reason: ExitReason | null; accel: string | null }

export class RuntimeTable {
  private readonly runtimes = new Map<string, Runtime>();
  constructor(private readonly db: Db, private readonly events: EventLog) {}

  get(name: string): Runtime {
    let rt = this.runtimes.get(name);
    if (!rt) {
      const row = this.db.prepare("SELECT * FROM vm_runtime WHERE name = ?").get(name) as Row | undefined;
      rt = {
        state: row?.state ?? "stopped", lastChange: row?.last_change ?? new Date().toISOString(), pid: row?.pid ?? undefined,
        startedAt: row?.started_at ?? undefined, lastExitReason: row?.last_exit_reason ?? undefined, accel: row?.accel ?? undefined,
        process: undefined, console: undefined, stopping: false, exitState: undefined, crashRestarts: [], lock: Promise.resolve(), filesReturned: Promise.resolve(),
      };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  /** Moves a VM to a new state: persisted, and an event says from what, to what and why. */
  setState(name: string, state: VmState, data: Record<string, unknown> = {}): void {
    const rt = this.get(name);
    const from = rt.state;
    rt.state = state;
    rt.lastChange = new Date().toISOString();
    if (state === "stopped" || state === "crashed" || state === "suspended") { rt.pid = undefined; rt.startedAt = undefined; }
    this.persist(name);
    if (from !== state) this.events.record("vm.state", name, { from, to: state, ...data });
  }

  persist(name: string): void {
    const rt = this.get(name);
    this.db.prepare(`INSERT INTO vm_runtime (name, state, pid, started_at, last_change, last_exit_reason, accel) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET state = excluded.state, pid = excluded.pid, started_at = excluded.started_at,
      last_change = excluded.last_change, last_exit_reason = excluded.last_exit_reason, accel = excluded.accel`)
      .run(name, rt.state, rt.pid ?? null, rt.startedAt ?? null, rt.lastChange, rt.lastExitReason ?? null, rt.accel ?? null);
  }

  forget(name: string): void {
    this.runtimes.delete(name);
    this.db.prepare("DELETE FROM vm_runtime WHERE name = ?").run(name);
  }

  /** Runs `work` after every earlier operation on this VM: one operation at a time per VM. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const rt = this.get(name);
    const result = rt.lock.then(work, work);
    rt.lock = result.catch(() => undefined);
    return result;
  }
}
