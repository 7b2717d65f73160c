// The key combinations the graphical console's "Send key" menu offers: those a browser or the
// desktop would keep for itself. Cockpit Machines offers the same fourteen: Ctrl+Alt with Delete,
// Backspace and F1 to F12. Each is a list of QEMU key names (qcodes) pressed together.
export interface KeyCombo { label: string; keys: string[] }

const ctrlAlt = (label: string, key: string): KeyCombo => ({ label: `Ctrl+Alt+${label}`, keys: ["ctrl", "alt", key] });

export const RESET_KEYS: KeyCombo[] = [ctrlAlt("Delete", "delete"), ctrlAlt("Backspace", "backspace")];
export const FUNCTION_KEYS: KeyCombo[] = Array.from({ length: 12 }, (_, i) => ctrlAlt(`F${i + 1}`, `f${i + 1}`));
