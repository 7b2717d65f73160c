// SQLite (WAL) with numbered migrations: tasks, events and VM runtime state survive a vmctld crash.
import Database from "better-sqlite3";

export type Db = Database.Database;

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE vm_runtime (
     name TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     pid INTEGER,
     started_at TEXT,
     last_change TEXT NOT NULL,
     last_exit_reason TEXT,
     accel TEXT
   );
   CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     op TEXT NOT NULL,
     target TEXT NOT NULL,
     state TEXT NOT NULL,
     progress REAL NOT NULL DEFAULT 0,
     eta TEXT,
     log TEXT NOT NULL DEFAULT '[]',
     error TEXT,
     user TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     ended_at TEXT,
     parent_id TEXT
   );
   CREATE INDEX tasks_created ON tasks(created_at);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time TEXT NOT NULL,
     type TEXT NOT NULL,
     vm TEXT,
     data TEXT NOT NULL
   );
   CREATE INDEX events_vm ON events(vm, id);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE users (
     name TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL
   );
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     csrf TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     role TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT,
     last_used_at TEXT,
     revoked_at TEXT
   );
   CREATE TABLE roles (name TEXT PRIMARY KEY, privileges TEXT NOT NULL);
   CREATE TABLE grants (
     user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     vm TEXT NOT NULL,
     role TEXT NOT NULL,
     PRIMARY KEY (user, vm)
   );
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time TEXT NOT NULL,
     user TEXT NOT NULL,
     source TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     result TEXT NOT NULL,
     status INTEGER NOT NULL
   );
   CREATE TABLE login_failures (key TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until TEXT);`,
  // Datastores added through the API (vmctld.toml's are not stored), and the ISO library's
  // checksums, valid while a file keeps its size and mtime.
  `CREATE TABLE datastores (name TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
   CREATE TABLE iso_checksums (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     sha256 TEXT NOT NULL,
     computed_at TEXT NOT NULL
   );`,
  // A token made by a token names its parent: the parent caps it at every use and takes it along when revoked.
  `ALTER TABLE tokens ADD COLUMN parent_id TEXT;`,
  // A per-VM grant names the VM's uuid too: it follows the VM's identity, not a name reused later.
  `ALTER TABLE grants ADD COLUMN vm_uuid TEXT;`,
  // Retention prunes ended tasks oldest first (domain/retention.ts): without an index each batch scans them all.
  `CREATE INDEX tasks_ended ON tasks(ended_at);`,
  // Login counts can be pruned by age (security/login-guard.ts): when a pair last tried; and each
  // address's failures in its current window, whatever names it tries.
  `ALTER TABLE login_failures ADD COLUMN last_at TEXT;
   CREATE INDEX login_failures_last ON login_failures(last_at);
   CREATE TABLE login_sources (source TEXT PRIMARY KEY, window_start TEXT NOT NULL, failures INTEGER NOT NULL);`,
  // Runtime state follows the VM's uuid, not its name: a VM re-created under a name does not inherit
  // the old one's state. The rows kept by name wait in vm_runtime_by_name until vmctld, having read
  // the inventory, moves each to its VM's uuid (RuntimeTable.adoptRowsByName).
  `ALTER TABLE vm_runtime RENAME TO vm_runtime_by_name;
   CREATE TABLE vm_runtime (
     uuid TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     state TEXT NOT NULL,
     pid INTEGER,
     started_at TEXT,
     last_change TEXT NOT NULL,
     last_exit_reason TEXT,
     accel TEXT
   );`,
  // Tasks and events name the VM's uuid beside its name (domain/task-manager.ts, event-log.ts): a VM
  // made again under the same name is told apart.
  `ALTER TABLE tasks ADD COLUMN target_uuid TEXT;
   ALTER TABLE events ADD COLUMN vm_uuid TEXT;`,
  // ?vmUuid= and ?targetUuid= look them up as ?vm= and ?target= do.
  `CREATE INDEX events_vm_uuid ON events(vm_uuid, id);
   CREATE INDEX tasks_target_uuid ON tasks(target_uuid);`,
  // Host networks added through the API (vmctld.toml's are not stored); subnet as vmctld chose it.
  `CREATE TABLE networks (
     name TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     subnet TEXT,
     bridge TEXT,
     parent TEXT,
     vlan INTEGER,
     created_at TEXT NOT NULL
   );`,
  // Port forwards follow the VM's uuid (a rename keeps them, a destroy takes them); each NIC on a
  // managed network has its DHCP reservation, so a forward's target is known before the guest boots.
  `CREATE TABLE port_forwards (
     id TEXT PRIMARY KEY,
     vm_uuid TEXT NOT NULL,
     nic TEXT NOT NULL,
     host_address TEXT,
     host_port INTEGER NOT NULL,
     guest_port INTEGER NOT NULL,
     protocol TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX port_forwards_vm ON port_forwards(vm_uuid);
   CREATE TABLE dhcp_reservations (
     network TEXT NOT NULL,
     mac TEXT NOT NULL,
     ip TEXT NOT NULL,
     PRIMARY KEY (network, mac),
     UNIQUE (network, ip)
   );`,
  // An event names who caused it and the task it happened in (domain/event-context.ts); older rows read null.
  `ALTER TABLE events ADD COLUMN user TEXT;
   ALTER TABLE events ADD COLUMN task TEXT;`,
  // What a task measured or made, as JSON (a migrate-out's downtime and bytes); null for most.
  `ALTER TABLE tasks ADD COLUMN result TEXT;`,
];

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}

export function getMeta(db: Db, key: string): string | undefined {
  return (db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
}
