// What the storage services (snapshots, clones, imports, exports) stand on: the host's pieces.
import type { Inventory } from "./inventory.js";
import type { DefinitionStore } from "./definition-store.js";
import type { Datastores } from "./datastores.js";
import type { RuntimeTable } from "./vm-runtime.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { EventLog } from "./event-log.js";
import type { TaskManager } from "./task-manager.js";
import type { PowerController } from "./vm-power.js";

export interface StorageDeps {
  inventory: Inventory;
  /** Every definition write goes through it. */
  definitions: DefinitionStore;
  datastores: Datastores;
  runtimes: RuntimeTable;
  /** Every state change and the VM's exclusive section. */
  lifecycle: VmLifecycle;
  events: EventLog;
  tasks: TaskManager;
  power: PowerController;
}
