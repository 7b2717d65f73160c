// A wizard step's form and footer. Enter in a field goes on to the next step instead of submitting
// the page; Next (the button or Enter) first asks the wizard's gate, which shows the step's errors
// and keeps the wizard on the step while one of them is a blocking one (a name, a file to choose).
import { createContext, useContext, type ReactNode } from "react";
import { Form, WizardFooter, useWizardContext } from "@patternfly/react-core";

/** May the wizard leave this step forward? (It also makes the step's errors show.) */
export const StepGate = createContext<(step: string) => boolean>(() => true);

function useNext() {
  const wizard = useWizardContext();
  const gate = useContext(StepGate);
  return () => { if (gate(String(wizard.activeStep.id))) void wizard.goToNextStep(); };
}

export function StepForm({ children }: { children: ReactNode }) {
  const next = useNext();
  return <Form onSubmit={(e) => { e.preventDefault(); next(); }}>{children}<button type="submit" className="pf-v6-screen-reader" aria-hidden="true" tabIndex={-1} /></Form>;
}

/** The footer of the steps before the review: Back, Next (through the gate), Cancel. */
export function StepFooter() {
  const wizard = useWizardContext();
  const next = useNext();
  return (
    <WizardFooter activeStep={wizard.activeStep} onNext={next} onBack={() => void wizard.goToPrevStep()} onClose={wizard.close} isBackDisabled={wizard.activeStep.index === 1} />
  );
}

export type { FieldErrors } from "./field-errors";
