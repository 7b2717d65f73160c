// The definition as TOML, edited in place and saved with If-Match, so two editors cannot overwrite
// each other; errors from the server name the line and the field.
import { useEffect, useState } from "react";
import { Alert, Button, TextArea } from "@patternfly/react-core";
import { ApiError } from "../../api/http";

export function DefinitionEditor({ name, canEdit }: { name: string; canEdit: boolean }) {
  const [text, setText] = useState<string | null>(null);
  const [etag, setEtag] = useState("");
  const [saved, setSaved] = useState("");
  const [message, setMessage] = useState<{ kind: "success" | "danger"; text: string } | null>(null);
  const load = async () => {
    const response = await fetch(`/api/v1/vms/${encodeURIComponent(name)}/definition`, { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.text();
    setText(body);
    setSaved(body);
    setEtag(response.headers.get("etag") ?? "");
  };
  useEffect(() => { void load(); }, [name]);
  const save = async () => {
    const csrf = sessionStorage.getItem("vmctl.csrf") ?? "";
    const response = await fetch(`/api/v1/vms/${encodeURIComponent(name)}/definition`, {
      method: "PUT", credentials: "same-origin", body: text ?? "",
      headers: { "content-type": "application/toml", "if-match": etag, "x-csrf-token": csrf },
    });
    if (response.ok) {
      setMessage({ kind: "success", text: "Saved." });
      await load();
      return;
    }
    const error = ((await response.json()) as { error: { message: string; code: string } }).error;
    setMessage({ kind: "danger", text: new ApiError(response.status, error.code, error.message).message });
  };
  if (text === null) return <p>Loading…</p>;
  return (
    <div style={{ marginTop: 16 }}>
      {message ? <Alert isInline variant={message.kind} title={message.text} style={{ marginBottom: 8, whiteSpace: "pre-wrap" }} /> : null}
      <TextArea aria-label="Definition (TOML)" value={text} onChange={(_e, v) => setText(v)} readOnly={!canEdit} rows={18} style={{ fontFamily: "monospace" }} />
      {canEdit ? (
        <div style={{ marginTop: 8 }}>
          <Button onClick={() => void save()} isDisabled={text === saved}>Save</Button>{" "}
          <Button variant="link" onClick={() => { setText(saved); setMessage(null); }} isDisabled={text === saved}>Discard changes</Button>
        </div>
      ) : null}
    </div>
  );
}
