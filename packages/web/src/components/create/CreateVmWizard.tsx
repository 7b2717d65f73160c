// The Create VM wizard: what the VM starts from (a new VM, a template to deploy, or a package to
// import), its name and size; its storage and what it boots (an ISO from the library, a disk or
// cloud image in a datastore or uploaded, a kernel); network adapters, consoles and first boot
// (cloud-init); then a review in words with "Create virtual machine" in the footer. A field shows
// its error only once it was left or its step's Next was pressed; vmctld's refusals (the same
// schema) show beside the field they name. It works from the keyboard alone: focus starts in the
// name, Enter in a field goes to the next step. The parts live beside it: wizard-model.ts (the
// rules), the steps, field-errors.ts, create-vm.ts (the requests).
import { useEffect, useMemo, useState } from "react";
import { Modal, ModalVariant, Wizard, WizardHeader, WizardStep } from "@patternfly/react-core";
import { client, ApiError } from "../../api/http";
import { kindLabel } from "../../api/networks";
import { useApi } from "../../api/use-api";
import { useHostData } from "../../state/host-data";
import { navigate } from "../../state/router";
import { useSession } from "../../state/session";
import { useCluster } from "../../state/cluster";
import { clusterDatastores } from "../cluster/cluster-words";
import { useAction } from "../../state/use-action";
import { ImportVmDialog } from "../inventory/ImportVmDialog";
import { createFromWizard, type Progress } from "./create-vm";
import { useFieldErrors } from "./field-errors";
import { GeneralStep } from "./GeneralStep";
import { NetworkStep } from "./NetworkStep";
import { ReviewFooter, ReviewStep } from "./ReviewStep";
import { StepFooter, StepGate } from "./StepForm";
import { StorageStep } from "./StorageStep";
import { buildDefinition, checkState, initialState, reviewSentences, stepOfField, type Issue, type WizardState } from "./wizard-model";

/**
 * What the wizard itself holds a step (or Create) for: vmctld could not say it better (a name, a
 * template, a file to use). A size it cannot read is left to vmctld, whose answer names the field.
 */
const isBlocking = (issue: Issue) => !(issue.field === "memory" || issue.field === "disks" && /expected a size/.test(issue.message));

export function CreateVmWizard({ onClose }: { onClose: () => void }) {
  const [state, setState] = useState<WizardState>(initialState);
  const set = (patch: Partial<WizardState>) => setState((s) => ({ ...s, ...patch }));
  const [importing, setImporting] = useState(false);
  const { can } = useSession();
  const cluster = useCluster();
  const { vms } = useHostData();
  const run = useAction();
  const networks = useApi(can("host.read") ? () => client.listNetworks() : null, ["networks"]);
  // vmcenter has no datastores of its own: those of its hosts (a shared one lets the VM move live and restart elsewhere).
  const stores = useApi(cluster ? () => client.cluster.hosts().then((hosts) => ({ datastores: clusterDatastores(hosts) })) : () => client.datastores(), ["datastores", cluster !== null]);
  const datastores = stores.data?.datastores;
  const defaultDatastore = datastores?.find((d) => d.origin === "default")?.name ?? "local";
  const templates = useMemo(() => vms?.filter((v) => v.template), [vms]);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const checks = useMemo(() => checkState(state), [state]);
  const { fields, attempt } = useFieldErrors(checks, issues);

  // A refusal is about what was sent: once the choices change, its messages go.
  const sent = JSON.stringify({ ...buildDefinition(state), t: state.template, f: state.startFrom, d: state.datastore });
  useEffect(() => { setIssues([]); setFailure(null); }, [sent]);

  const create = async (goTo: (id: string) => void) => {
    attempt("general", "storage", "network");
    setIssues([]);
    setFailure(null);
    const blocking = checks.find(isBlocking);
    if (blocking) {
      setFailure(blocking.message);
      goTo(stepOfField(blocking.field));
      return;
    }
    try {
      await createFromWizard(state, defaultDatastore, setProgress, cluster !== null);
      onClose();
      navigate(`/ui/vms/${encodeURIComponent(state.name)}`);
    } catch (error) {
      const details = error instanceof ApiError ? (error.details as { issues?: Issue[] } | undefined) : undefined;
      const found = details?.issues ?? [];
      setIssues(found);
      setFailure((error as Error).message);
      if (found[0]) goTo(stepOfField(found[0].field));
    } finally {
      setProgress(null);
    }
  };

  // Next on a step shows its errors; a blocking one keeps the wizard there.
  const gate = (step: string) => { attempt(step); return !checks.some((i) => isBlocking(i) && stepOfField(i.field) === step); };
  // Escape closes an open help popover first, not the whole wizard with what was filled in.
  const escape = () => { if (!document.querySelector(".pf-v6-c-popover")) onClose(); };
  if (importing) return <ImportVmDialog run={run} onClose={onClose} />;
  const fromTemplate = state.startFrom === "template";
  const props = { state, set, fields };
  return (
    <StepGate.Provider value={gate}>
    <Modal variant={ModalVariant.large} isOpen aria-labelledby="create-vm-title" onEscapePress={escape} elementToFocus="#vm-name">
      <Wizard onClose={onClose} height="min(680px, calc(100vh - 96px))" navAriaLabel="Steps of creating a VM" footer={<StepFooter />}
        header={<WizardHeader title="Create a virtual machine" titleId="create-vm-title" description="Escape or Cancel closes it without creating anything." isCloseHidden onClose={onClose} />}>
        <WizardStep name={fromTemplate ? "Template and name" : "Name and size"} id="general">
          <GeneralStep {...props} templates={templates} datastores={datastores} {...(cluster ? {} : { onImport: () => setImporting(true) })} />
        </WizardStep>
        {/* A template gives the hardware: its steps are not asked (PatternFly keeps their numbers). */}
        <WizardStep name="Storage and boot" id="storage" isHidden={fromTemplate}>
          <StorageStep {...props} datastores={datastores} defaultDatastore={defaultDatastore} />
        </WizardStep>
        <WizardStep name="Network and consoles" id="network" isHidden={fromTemplate}>
          <NetworkStep {...props} networks={networks.data} />
        </WizardStep>
        <WizardStep name="Review" id="review" footer={<ReviewFooter onCreate={create} busy={progress !== null} busyText={progress?.what ?? "Creating…"} />}>
          <ReviewStep sentences={reviewSentences(state, { defaultDatastore, networks: networks.data, kind: kindLabel })} start={state.start} setStart={(start) => set({ start })} failure={failure} progress={progress}
            {...(cluster ? { placement: fromTemplate ? `Deployed by vmcenter on the host that holds ${state.template || "the template"}.` : "Placed by vmcenter: the host with the most free memory (among those with what it needs), as the task's log explains." } : {})} />
        </WizardStep>
      </Wizard>
    </Modal>
    </StepGate.Provider>
  );
}
