// When the wizard shows a field's error: vmctld's refusal of what was sent, at once; the wizard's
// own check only once the field was left, or its step's Next (or Create) was pressed. A person
// filling in a form never sees red on a field they have not reached.
import { useCallback, useMemo, useState } from "react";
import { stepOfField, type Issue } from "./wizard-model";

export interface FieldErrors {
  /** The message to show beside the field (any of `fields`, or a field under one), or undefined. */
  error: (...fields: string[]) => string | undefined;
  /** The blur handler of a field: from then on its check shows. */
  touch: (field: string) => () => void;
}

const matches = (issue: Issue, fields: string[]) => fields.some((f) => issue.field === f || issue.field.startsWith(`${f}.`));

export function useFieldErrors(checks: Issue[], server: Issue[]) {
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [attempted, setAttempted] = useState<ReadonlySet<string>>(new Set());
  const touch = useCallback((field: string) => () => setTouched((t) => (t.has(field) ? t : new Set([...t, field]))), []);
  /** Next (or Create) was pressed on this step: its checks show. */
  const attempt = useCallback((...steps: string[]) => setAttempted((a) => new Set([...a, ...steps])), []);
  const fields: FieldErrors = useMemo(() => ({
    error: (...names: string[]) => {
      const refused = server.find((i) => matches(i, names));
      if (refused) return refused.message;
      const own = checks.find((i) => matches(i, names) && (attempted.has(stepOfField(i.field)) || [...touched].some((t) => i.field === t || i.field.startsWith(`${t}.`) || t.startsWith(`${i.field}.`))));
      return own?.message;
    },
    touch,
  }), [server, checks, attempted, touched, touch]);
  return { fields, attempt };
}
