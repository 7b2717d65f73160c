// The uploads of this page with their progress, speed and what can be done next: cancel a running
// one, resume an interrupted one, replace a file that is there, continue an earlier upload's part.
import { Button, Card, CardBody, CardTitle, Label, Progress, ProgressMeasureLocation, ProgressVariant } from "@patternfly/react-core";
import { formatBytes } from "../../format";
import { cancelUpload, dismissUpload, replaceFile, resumeUpload, startOver, useUploads, type Upload } from "../../state/uploads";

function progressText(u: Upload): string {
  const size = formatBytes(u.file.size);
  switch (u.phase) {
    case "checking": return "Asking the datastore what it has…";
    case "uploading": {
      const speed = u.rate ? `, ${formatBytes(Math.round(u.rate))}/s, ${Math.max(1, Math.round((u.file.size - u.sent) / u.rate))} s left` : "";
      return `${formatBytes(u.sent)} of ${size}${speed}`;
    }
    case "done": return `${size} uploaded`;
    case "interrupted": return `Interrupted at ${formatBytes(u.sent)} of ${size}: ${u.error ?? "the connection broke off"}. What arrived is kept.`;
    case "failed": return u.error ?? "Refused";
    case "exists": return "A file of this name is there already.";
    case "partial": return `An earlier upload of this file stopped at ${formatBytes(u.sent)} of ${size}.`;
    case "cancelled": return "Cancelled. What arrived stays hidden on the datastore: uploading this file here again continues from there.";
  }
}

const VARIANT: Partial<Record<Upload["phase"], ProgressVariant>> = { done: ProgressVariant.success, failed: ProgressVariant.danger, interrupted: ProgressVariant.warning, exists: ProgressVariant.warning, partial: ProgressVariant.warning };

function Actions({ u }: { u: Upload }) {
  const name = u.file.name;
  const button = (label: string, onClick: () => void, variant: "primary" | "secondary" | "link" = "secondary") =>
    <Button key={label} size="sm" variant={variant} onClick={onClick} aria-label={`${label} ${name}`}>{label}</Button>;
  switch (u.phase) {
    case "checking": return null;
    case "uploading": return button("Cancel", () => cancelUpload(u.id), "link");
    case "interrupted": return <>{button("Resume", () => void resumeUpload(u.id), "primary")}{button("Cancel", () => cancelUpload(u.id), "link")}</>;
    case "failed": return <>{button("Try again", () => void resumeUpload(u.id))}{button("Dismiss", () => dismissUpload(u.id), "link")}</>;
    case "exists": return <>{button("Replace", () => replaceFile(u.id))}{button("Dismiss", () => dismissUpload(u.id), "link")}</>;
    case "partial": return <>{button("Continue", () => void resumeUpload(u.id), "primary")}{button("Start over", () => startOver(u.id))}{button("Dismiss", () => dismissUpload(u.id), "link")}</>;
    case "done": case "cancelled": return button("Dismiss", () => dismissUpload(u.id), "link");
  }
}

export function UploadList() {
  const uploads = useUploads();
  if (uploads.length === 0) return null;
  return (
    <Card isCompact style={{ marginTop: 16 }} data-testid="uploads">
      <CardTitle>Uploads</CardTitle>
      <CardBody>
        {uploads.map((u) => (
          <div key={u.id} className="vmctl-upload" data-upload={`${u.datastore}/${u.path}`} data-phase={u.phase}>
            <div>
              <strong>{u.file.name}</strong> {u.phase === "done" ? <Label isCompact color="green">uploaded</Label> : null}
              <div className="vmctl-muted vmctl-small">to {u.datastore}/{u.path}</div>
            </div>
            <Progress value={u.file.size ? (u.sent / u.file.size) * 100 : u.phase === "done" ? 100 : 0} title={progressText(u)} size="sm"
              measureLocation={ProgressMeasureLocation.outside} aria-label={`Upload of ${name(u)}`} {...(VARIANT[u.phase] ? { variant: VARIANT[u.phase]! } : {})} />
            <div className="vmctl-row-actions"><Actions u={u} /></div>
          </div>
        ))}
      </CardBody>
    </Card>
  );
}

const name = (u: Upload) => u.file.name;
