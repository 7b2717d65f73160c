// The definition as TOML, edited in place and saved with If-Match, so two editors cannot overwrite
// each other; errors from the server name the line and the field.
import { useCallback, useEffect, useState } from "react";
import { Alert, Button, TextArea } from "@patternfly/react-core";
import { client } from "../../api/http";
import { LoadError, Loading } from "../shared/states";

export function DefinitionEditor({ name, canEdit, readOnlyReason = "your role cannot change this VM" }: { name: string; canEdit: boolean; readOnlyReason?: string }) {
  const [text, setText] = useState<string | null>(null);
  const [etag, setEtag] = useState("");
  const [saved, setSaved] = useState("");
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [message, setMessage] = useState<{ kind: "success" | "danger"; text: string } | null>(null);
  const load = useCallback(async () => {
    try {
      const answer = await client.getDefinition(name);
      setText(answer.text);
      setSaved(answer.text);
      setEtag(answer.etag);
      setLoadError(null);
    } catch (error) {
      setLoadError(error as Error);
    }
  }, [name]);
  useEffect(() => { void load(); }, [load]);
  const save = async () => {
    try {
      await client.putDefinition(name, text ?? "", etag);
      setMessage({ kind: "success", text: "Saved." });
      await load();
    } catch (error) {
      setMessage({ kind: "danger", text: (error as Error).message });
    }
  };
  if (loadError && text === null) return <LoadError what={`the definition of ${name}`} error={loadError} onRetry={() => void load()} />;
  if (text === null) return <Loading what="the definition" lines={6} />;
  return (
    <div style={{ marginTop: 16 }}>
      {message ? <Alert isInline variant={message.kind} title={message.text} style={{ marginBottom: 8, whiteSpace: "pre-wrap" }} /> : null}
      {canEdit ? null : <p className="vmctl-muted" style={{ marginBottom: 8 }}>Read only: {readOnlyReason}.</p>}
      <TextArea aria-label="Definition (TOML)" value={text} onChange={(_e, v) => setText(v)} readOnly={!canEdit} rows={18} resizeOrientation="vertical" style={{ fontFamily: "var(--pf-t--global--font--family--mono, monospace)" }} />
      {canEdit ? (
        <div style={{ marginTop: 8, display: "flex", gap: 8 }}>
          <Button onClick={() => void save()} isDisabled={text === saved}>Save</Button>
          <Button variant="link" onClick={() => { setText(saved); setMessage(null); }} isDisabled={text === saved}>Discard changes</Button>
        </div>
      ) : null}
    </div>
  );
}
