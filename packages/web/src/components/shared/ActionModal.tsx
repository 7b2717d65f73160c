// A dialog that asks for what an action needs and runs it: Enter submits, Escape and Cancel close
// without doing anything, the button says what happens and waits while it happens. A refused
// action keeps the dialog open (the notifier says why) so the input can be corrected.
import { useId, useState, type ReactNode } from "react";
import { Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core";

export interface ActionModalProps {
  title: string;
  description?: ReactNode;
  /** The button's words, e.g. "Add disk"; while busy, `busyLabel`. */
  submitLabel: string;
  busyLabel?: string;
  danger?: boolean;
  isDisabled?: boolean;
  /** Resolves true when done (the dialog closes), false when refused (it stays). */
  onSubmit: () => Promise<boolean>;
  onClose: () => void;
  size?: "small" | "medium";
  /** The element focused first (a CSS selector); the first field otherwise. */
  focus?: string;
  children?: ReactNode;
}

export function ActionModal({ title, description, submitLabel, busyLabel, danger, isDisabled, onSubmit, onClose, size = "small", focus, children }: ActionModalProps) {
  const [busy, setBusy] = useState(false);
  const formId = useId();
  const titleId = `${formId}-title`;
  const submit = async () => {
    if (busy || isDisabled) return;
    setBusy(true);
    const done = await onSubmit().catch(() => false);
    setBusy(false);
    if (done) onClose();
  };
  return (
    <Modal variant={size} isOpen onClose={onClose} aria-labelledby={titleId} {...(focus ? { elementToFocus: focus } : {})}>
      <ModalHeader title={title} labelId={titleId} {...(description ? { description } : {})} {...(danger ? { titleIconVariant: "warning" as const } : {})} />
      <ModalBody>
        <Form id={formId} onSubmit={(e) => { e.preventDefault(); void submit(); }}>{children}</Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form={formId} variant={danger ? "danger" : "primary"} isDisabled={busy || isDisabled === true} isLoading={busy}>{busy ? busyLabel ?? submitLabel : submitLabel}</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
