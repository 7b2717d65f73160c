// The review: the VM to be made in sentences (no JSON), whether it starts once made, and what went
// wrong when vmctld refused it. Its footer (always in view, not in the scrolling body) holds
// Back, "Create virtual machine" and Cancel. At vmcenter it says where the VM will go.
import { Checkbox, HelperText, HelperTextItem, Progress as ProgressBar, ProgressMeasureLocation, WizardFooter, useWizardContext } from "@patternfly/react-core";
import { formatBytes } from "../../format";
import type { Progress } from "./create-vm";

export function ReviewStep({ sentences, start, setStart, failure, progress, placement }: { sentences: string[]; start: boolean; setStart: (v: boolean) => void; failure: string | null; progress: Progress | null; placement?: string }) {
  return (
    <>
      <div data-testid="wizard-review" aria-label="The new VM" role="region" style={{ maxWidth: "70ch" }}>
        {sentences.map((s, i) => <p key={i} style={{ marginBottom: 12 }}>{s}</p>)}
        {placement ? <p style={{ marginBottom: 12 }} data-testid="wizard-placement">{placement}</p> : null}
      </div>
      <Checkbox id="vm-start" label="Start the VM once created" isChecked={start} onChange={(_e, v) => setStart(v)} />
      {progress?.total ? (
        <ProgressBar value={(100 * (progress.sent ?? 0)) / progress.total} title={`${progress.what}: ${formatBytes(progress.sent ?? 0)} of ${formatBytes(progress.total)}`}
          measureLocation={ProgressMeasureLocation.outside} aria-label="Copy of the disk image" style={{ marginTop: 12 }} data-testid="wizard-progress" />
      ) : null}
      {failure ? <HelperText style={{ marginTop: 12 }}><HelperTextItem variant="error">{failure}</HelperTextItem></HelperText> : null}
    </>
  );
}

/** The review step's footer: Create in place of Next; a refusal sends the wizard to the step of the field. */
export function ReviewFooter({ onCreate, busy, busyText }: { onCreate: (goTo: (id: string) => void) => Promise<void>; busy: boolean; busyText: string }) {
  const wizard = useWizardContext();
  return (
    <WizardFooter activeStep={wizard.activeStep} onNext={() => onCreate((id) => wizard.goToStepById(id))} onBack={() => void wizard.goToPrevStep()} onClose={wizard.close}
      nextButtonText={busy ? busyText : "Create virtual machine"} isNextDisabled={busy} isBackDisabled={busy} nextButtonProps={{ isLoading: busy }} />
  );
}
