// Consoles keep every key for the guest, Tab included, so a keyboard user needs a way out: Ctrl+]
// (as virsh console and telnet) moves focus to this note, just after the console; Tab goes on from
// there and Shift+Tab goes back in.
import { forwardRef } from "react";

export const LEAVE_KEY_LABEL = "Ctrl+]";

/** True for the key that leaves a console: Ctrl+] by its physical key, whatever the layout prints. */
export const isLeaveKey = (event: KeyboardEvent): boolean => event.type === "keydown" && event.ctrlKey && !event.altKey && !event.metaKey && event.code === "BracketRight";

export const ConsoleExit = forwardRef<HTMLParagraphElement, { id: string }>(function ConsoleExit({ id }, ref) {
  return (
    <p ref={ref} id={id} tabIndex={-1} className="vmctl-muted vmctl-console-exit" style={{ marginTop: 8, fontSize: "var(--pf-t--global--font--size--sm)" }}>
      The console keeps Tab and every other key for the guest. Press <kbd>{LEAVE_KEY_LABEL}</kbd> to leave it with the keyboard.
    </p>
  );
});
