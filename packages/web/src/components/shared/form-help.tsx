// What the dialogs' forms share: the helper text under a field, and the rule for VM and snapshot
// names (vmctld's NAME_PATTERN in api-types, which lives beside the schema library and so is not imported).
import type { ReactNode } from "react";
import { FormHelperText, HelperText, HelperTextItem } from "@patternfly/react-core";

export const NAME_RULE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const NAME_ADVICE = "Lower-case letters, digits, - _ and ., starting with a letter or digit.";

/** The helper text under a form field; `error` shows it as the reason the field is refused. */
export const hint = (text: ReactNode, error = false) => (
  <FormHelperText><HelperText><HelperTextItem variant={error ? "error" : "default"}>{text}</HelperTextItem></HelperText></FormHelperText>
);
