// Autostart at host boot: the VMs with policy.autostart, lowest autostart_order first (equal orders
// by name), each start awaited and followed by its autostart_delay before the next one begins.
import type { VmDefinition } from "@vmctl/api-types";

export interface AutostartStep { name: string; order: number; delaySeconds: number }

/**
 * The VMs to start, in the order they start. `allowed`: whether the host may start a VM by itself
 * (on a joined host, an HA VM on a shared datastore is vmcenter's to start: cluster/index.ts).
 */
export function autostartPlan(vms: Array<{ name: string; def: VmDefinition | undefined }>, allowed: (name: string) => boolean = () => true): AutostartStep[] {
  return vms
    .flatMap(({ name, def }) => (def?.policy.autostart && !def.template && allowed(name) ? [{ name, order: def.policy.autostart_order, delaySeconds: def.policy.autostart_delay }] : []))
    .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/**
 * Starts each VM of the plan in turn: `start` resolves once that start ended (ok or not; a failed
 * start does not hold up the rest), then its delay passes before the next.
 */
export async function runAutostart(plan: AutostartStep[], start: (name: string) => Promise<void>, sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())): Promise<void> {
  for (const [i, step] of plan.entries()) {
    await start(step.name).catch(() => undefined);
    if (step.delaySeconds > 0 && i < plan.length - 1) await sleep(step.delaySeconds * 1000);
  }
}
