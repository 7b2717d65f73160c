// A VM page's power controls: one primary button for what the state suggests ("Start" when down,
// "Shut down" when running, "Resume" when paused) and a menu, "Power actions for NAME", with the
// others, greyed with the reason where the state does not allow them. Reset asks first: the guest
// loses what it had not written.
import { useState } from "react";
import { Button, Divider, Dropdown, DropdownItem, DropdownList, MenuToggle } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { ActionModal } from "../shared/ActionModal";
import { menuPower, primaryPower, usePower, type VmPowerItem } from "./power";

const BUSY: Record<string, string> = { starting: "Starting…", stopping: "Stopping…", snapshotting: "Taking a snapshot…", cloning: "Cloning…", exporting: "Exporting…", migrating: "Migrating…" };

export function VmPower({ vm }: { vm: VmSummary }) {
  const power = usePower();
  const [open, setOpen] = useState(false);
  const [asking, setAsking] = useState<VmPowerItem | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const primary = primaryPower(vm.state);
  const items = menuPower(vm.state);
  const act = (item: VmPowerItem) => {
    if (item.confirm) { setAsking(item); return; }
    setSent(item.action);
    void power([vm.name], item.action, item.force ? { force: true } : {}).finally(() => setSent(null));
  };
  const stop = items.find((i) => i.action === "stop");
  const rest = items.filter((i) => i !== stop);
  // An action the state does not allow stays in its place, greyed, saying why.
  const entry = (i: VmPowerItem & { allowed: boolean }) => (
    <DropdownItem key={i.action} description={i.allowed ? i.description : `Not while ${vm.name} is ${vm.state}`} isDanger={i.action === "stop" && i.allowed}
      isAriaDisabled={!i.allowed} aria-label={i.label} onClick={() => { setOpen(false); act(i); }}>{i.label}</DropdownItem>
  );
  return (
    <div className="vmctl-power" style={{ display: "flex", gap: 8, alignItems: "center" }}>
      {primary
        ? <Button variant="primary" isLoading={sent === primary.action} isAriaDisabled={sent !== null} onClick={() => act(primary)}>{primary.label}</Button>
        : <Button variant="secondary" isAriaDisabled isLoading={vm.state in BUSY}>{BUSY[vm.state] ?? vm.state}</Button>}
      <Dropdown isOpen={open} onOpenChange={setOpen} popperProps={{ position: "start" }}
        toggle={(ref) => <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} aria-label={`Power actions for ${vm.name}`}>Power</MenuToggle>}>
        <DropdownList aria-label={`Power actions for ${vm.name}`}>
          {rest.map(entry)}
          {stop ? <Divider component="li" key="divider" /> : null}
          {stop ? entry(stop) : null}
        </DropdownList>
      </Dropdown>
      {asking ? (
        <ActionModal title={`Reset ${vm.name}?`} submitLabel="Reset" busyLabel="Resetting…" danger
          onSubmit={() => power([vm.name], asking.action)} onClose={() => setAsking(null)}>
          <p>A reset restarts {vm.name} at once, as its reset button would: the guest does not shut down, and what it had not written to disk is lost. Use it for a guest that no longer answers; otherwise choose Restart.</p>
        </ActionModal>
      ) : null}
    </div>
  );
}
