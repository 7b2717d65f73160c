// A template never starts or changes: the one refusal every operation on one gives.
import { VmctlError, type VmDefinition } from "@vmctl/api-types";

/** Throws vm_is_template when `def` is a template; `doing` says what a template does not do, `instead` offers a way. */
export function assertNotTemplate(name: string, def: VmDefinition | undefined, doing = "does not change", instead = ""): void {
  if (!def?.template) return;
  throw new VmctlError("vm_is_template", `"${name}" is a template and ${doing}; ${instead}make it a VM again with \`vmctl template ${name} --undo\``);
}
