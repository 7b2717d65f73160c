// The key combinations the graphical console's "Send key" menu offers: those a browser or the
// desktop would keep for itself. Cockpit Machines offers the same fourteen: Ctrl+Alt with Delete,
// Backspace and F1 to F12. Each is a list of QEMU key names (qcodes) pressed together.
export interface KeyCombo { label: string; keys: string[] }

const ctrlAlt = (label: string, key: string): KeyCombo => ({ label: `Ctrl+Alt+${label}`, keys: ["ctrl", "alt", key] });

export const RESET_KEYS: KeyCombo[] = [ctrlAlt("Delete", "delete"), ctrlAlt("Backspace", "backspace")];
export const FUNCTION_KEYS: KeyCombo[] = Array.from({ length: 12 }, (_, i) => ctrlAlt(`F${i + 1}`, `f${i + 1}`));

/**
 * The Linux kernel's magic SysRq keys, for the serial console of a hung guest: pressed on the VM's
 * keyboard (the API has no serial break), the kernel answers on its console, the serial line.
 */
export const SYSRQ_KEYS: Array<KeyCombo & { description: string }> = ([
  ["H", "h", "list the SysRq commands"],
  ["S", "s", "sync all filesystems"],
  ["U", "u", "remount filesystems read-only"],
  ["T", "t", "list the tasks"],
  ["W", "w", "list the blocked tasks"],
  ["M", "m", "show memory"],
  ["B", "b", "reboot at once, without syncing"],
  ["O", "o", "power off at once"],
] as const).map(([label, key, description]) => ({ label: `Alt+SysRq+${label}`, keys: ["alt", "sysrq", key], description }));
