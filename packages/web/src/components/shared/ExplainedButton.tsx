// A button that, when it cannot act, stays visible and in the Tab order (aria-disabled) and says
// why in a tooltip, rather than failing after a click or vanishing.
import { Button, Tooltip, type ButtonProps } from "@patternfly/react-core";

/** `why` null: the button acts; otherwise it is aria-disabled and its tooltip shows `why`. */
export function ExplainedButton({ why, ...props }: Omit<ButtonProps, "isAriaDisabled" | "isDisabled"> & { why: string | null }) {
  const button = <Button {...props} isAriaDisabled={why !== null} />;
  return why ? <Tooltip content={why}>{button}</Tooltip> : button;
}
