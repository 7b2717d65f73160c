// "Send key": the combinations the browser or the desktop would keep for themselves, pressed in the
// guest through vmctld (POST /vms/NAME/sendkey, QMP send-key), so they work whatever the keyboard
// layout and whether or not the screen has focus. "Send SysRq": the kernel's magic SysRq keys, the
// same way, for the serial console of a guest that no longer answers.
import { useState } from "react";
import { Divider, Dropdown, DropdownItem, DropdownList, MenuToggle } from "@patternfly/react-core";
import { client as api } from "../../api/http";
import { useNotify } from "../../state/notify";
import { FUNCTION_KEYS, RESET_KEYS, SYSRQ_KEYS, type KeyCombo } from "./send-keys";

/** "Send key" on the graphical console (Cockpit's fourteen), "Send SysRq" on the serial console. */
export function SendKeyMenu({ name, isDisabled = false, sysrq = false }: { name: string; isDisabled?: boolean; sysrq?: boolean }) {
  const [open, setOpen] = useState(false);
  const notify = useNotify();
  const send = (combo: KeyCombo) => {
    setOpen(false);
    api.sendKey(name, { keys: combo.keys }).catch((error: Error) => notify(`Could not send ${combo.label} to ${name}`, error.message));
  };
  const item = (combo: KeyCombo & { description?: string }) => <DropdownItem key={combo.label} onClick={() => send(combo)} {...(combo.description ? { description: combo.description } : {})}>{combo.label}</DropdownItem>;
  return (
    <Dropdown isOpen={open} onOpenChange={setOpen} popperProps={{ position: "end" }} shouldFocusFirstItemOnOpen
      toggle={(ref) => <MenuToggle ref={ref} size="sm" onClick={() => setOpen(!open)} isExpanded={open} isDisabled={isDisabled}>{sysrq ? "Send SysRq" : "Send key"}</MenuToggle>}>
      {sysrq ? (
        <DropdownList aria-label={`SysRq keys to send to ${name}`}>{SYSRQ_KEYS.map(item)}</DropdownList>
      ) : (
        <DropdownList aria-label={`Keys to send to ${name}`}>
          {RESET_KEYS.map(item)}
          <Divider component="li" />
          {FUNCTION_KEYS.map(item)}
        </DropdownList>
      )}
    </Dropdown>
  );
}
