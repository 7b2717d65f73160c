// A wizard step's form: Enter in a field goes on to the next step instead of submitting the page.
import type { ReactNode } from "react";
import { Form, useWizardContext } from "@patternfly/react-core";

export function StepForm({ children }: { children: ReactNode }) {
  const wizard = useWizardContext();
  return <Form onSubmit={(e) => { e.preventDefault(); void wizard.goToNextStep(); }}>{children}<button type="submit" className="pf-v6-screen-reader" aria-hidden="true" tabIndex={-1} /></Form>;
}

/** What every step gets: the choices, a way to change them, and the errors to show. */
export type { FieldErrors } from "./field-errors";
