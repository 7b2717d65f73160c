// The definition as TOML, edited in place and saved with If-Match, so two editors cannot overwrite
// each other. Its lines are numbered, and a refused save names the line of each problem (a TOML
// syntax error, a field's error), marks it and scrolls to it; the server's answers name no host path.
import { useCallback, useEffect, useRef, useState, type UIEvent } from "react";
import { Alert, Button } from "@patternfly/react-core";
import { client } from "../../api/http";
import { LoadError, Loading } from "../shared/states";
import { definitionProblems, type DefinitionProblem } from "./definition-lines";

const LINE_PX = 20;
const PAD_PX = 8;
const ROWS = 18;

type Message = { kind: "success"; text: string } | { kind: "danger"; text: string; problems: DefinitionProblem[] };

export function DefinitionEditor({ name, canEdit, readOnlyReason = "your role cannot change this VM" }: { name: string; canEdit: boolean; readOnlyReason?: string }) {
  const [text, setText] = useState<string | null>(null);
  const [etag, setEtag] = useState("");
  const [saved, setSaved] = useState("");
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [current, setCurrent] = useState<number | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
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

  /** Scrolls the line into the middle of the editor and marks it; with `select`, also selects it for typing. */
  const goTo = (line: number, select: boolean) => {
    const el = area.current;
    setCurrent(line);
    if (!el) return;
    el.scrollTop = Math.max(0, (line - 1) * LINE_PX - el.clientHeight / 2 + LINE_PX);
    if (!select) return;
    const lines = el.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    el.focus();
    el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };

  const save = async () => {
    try {
      await client.putDefinition(name, text ?? "", etag);
      setMessage({ kind: "success", text: "Saved." });
      setCurrent(null);
      await load();
    } catch (error) {
      const failure = error as Error & { code?: string; details?: unknown };
      const problems = failure.code === "invalid_definition" ? definitionProblems(failure.message, failure.details, text ?? "") : [];
      setMessage({ kind: "danger", text: failure.message, problems });
      const first = problems.find((p) => p.line !== undefined)?.line;
      if (first !== undefined) goTo(first, false);
    }
  };
  const onScroll = (event: UIEvent<HTMLTextAreaElement>) => {
    const top = event.currentTarget.scrollTop;
    setScrollTop(top);
    if (gutter.current) gutter.current.scrollTop = top;
  };

  if (loadError && text === null) return <LoadError what={`the definition of ${name}`} error={loadError} onRetry={() => void load()} />;
  if (text === null) return <Loading what="the definition" lines={6} />;
  const problemLines = new Set(message?.kind === "danger" ? message.problems.flatMap((p) => (p.line === undefined ? [] : [p.line])) : []);
  const lineCount = text.split("\n").length;
  const marked = [...problemLines, ...(current !== null && !problemLines.has(current) ? [current] : [])];
  const font = { fontFamily: "var(--pf-t--global--font--family--mono, monospace)", fontSize: 14, lineHeight: `${LINE_PX}px` };
  return (
    <div style={{ marginTop: 16 }}>
      {message?.kind === "success" ? <Alert isInline variant="success" title={message.text} style={{ marginBottom: 8 }} /> : null}
      {message?.kind === "danger" ? (
        message.problems.length > 0 ? (
          <Alert isInline variant="danger" title={`Not saved: ${message.problems.length === 1 ? "a problem" : `${message.problems.length} problems`} in the definition`} style={{ marginBottom: 8 }} data-testid="definition-problems">
            <ul style={{ margin: 0, paddingLeft: 16 }}>
              {message.problems.map((p, i) => (
                <li key={i}>
                  <span style={{ whiteSpace: "pre-wrap" }}>{p.line !== undefined ? <strong>line {p.line}: </strong> : null}{p.text}</span>
                  {p.line !== undefined ? <>{" "}<Button variant="link" isInline onClick={() => goTo(p.line!, true)}>Go to line {p.line}</Button></> : null}
                </li>
              ))}
            </ul>
          </Alert>
        ) : <Alert isInline variant="danger" title={message.text} style={{ marginBottom: 8, whiteSpace: "pre-wrap" }} />
      ) : null}
      {canEdit ? null : <p className="vmctl-muted" style={{ marginBottom: 8 }}>Read only: {readOnlyReason}.</p>}
      <div style={{ display: "flex", border: "1px solid var(--pf-t--global--border--color--default, #c7c7c7)", borderRadius: 4, background: "var(--pf-t--global--background--color--primary--default, #fff)" }}>
        <div ref={gutter} aria-hidden="true" data-testid="definition-gutter" style={{ ...font, overflow: "hidden", height: ROWS * LINE_PX + 2 * PAD_PX, padding: `${PAD_PX}px 8px`, textAlign: "right", userSelect: "none", color: "var(--pf-t--global--text--color--subtle, #6a6e73)", background: "var(--pf-t--global--background--color--secondary--default, #f2f2f2)", minWidth: "3.5em", boxSizing: "border-box" }}>
          {Array.from({ length: lineCount }, (_, i) => (
            <div key={i} data-line={i + 1} style={problemLines.has(i + 1) ? { color: "var(--pf-t--global--color--status--danger--default, #c9190b)", fontWeight: 700 } : undefined}>{i + 1}</div>
          ))}
          <div style={{ height: 2 * LINE_PX }} />
        </div>
        <div style={{ position: "relative", flex: 1, overflow: "hidden" }}>
          {marked.map((line) => (
            <div key={line} data-testid="definition-marked-line" data-line={line} aria-hidden="true" style={{ position: "absolute", left: 0, right: 0, top: PAD_PX + (line - 1) * LINE_PX - scrollTop, height: LINE_PX, pointerEvents: "none", background: problemLines.has(line) ? "rgba(201, 25, 11, 0.14)" : "rgba(0, 102, 204, 0.12)", borderLeft: `3px solid ${problemLines.has(line) ? "#c9190b" : "#0066cc"}` }} />
          ))}
          <textarea
            ref={area} aria-label="Definition (TOML)" value={text} readOnly={!canEdit} wrap="off" spellCheck={false} rows={ROWS}
            onChange={(e) => setText(e.target.value)} onScroll={onScroll}
            style={{ ...font, position: "relative", display: "block", width: "100%", height: ROWS * LINE_PX + 2 * PAD_PX, padding: `${PAD_PX}px 8px`, border: "none", outline: "none", resize: "none", background: "transparent", whiteSpace: "pre", overflow: "auto", boxSizing: "border-box", color: "inherit" }}
          />
        </div>
      </div>
      {canEdit ? (
        <div style={{ marginTop: 8, display: "flex", gap: 8 }}>
          <Button onClick={() => void save()} isDisabled={text === saved}>Save</Button>
          <Button variant="link" onClick={() => { setText(saved); setMessage(null); setCurrent(null); }} isDisabled={text === saved}>Discard changes</Button>
        </div>
      ) : null}
    </div>
  );
}
