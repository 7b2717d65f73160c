// A file of a datastore, typed as a path or chosen with the storage pages' file picker: a text
// field (what the keyboard and scripts fill in) with a Browse button that opens the picker below it.
import { useState } from "react";
import { Button, TextInput } from "@patternfly/react-core";
import type { IsoRef } from "../../api/vm-storage";
import { FilePicker } from "../storage/FilePicker";

export interface PathFieldProps {
  id: string;
  /** The accessible name of the text field, e.g. "Kernel". */
  label: string;
  /** What Browse says, e.g. "the kernel": "Browse for the kernel". */
  what: string;
  datastore: string;
  path: string;
  accept: RegExp;
  onPath: (path: string) => void;
  /** A file chosen in the picker: its datastore and path. */
  onPick: (file: IsoRef) => void;
  onBlur?: () => void;
  invalid?: boolean;
  placeholder?: string;
}

export function PathField({ id, label, what, datastore, path, accept, onPath, onPick, onBlur, invalid, placeholder }: PathFieldProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <div style={{ display: "flex", gap: 8 }}>
        <TextInput id={id} aria-label={label} value={path} {...(placeholder ? { placeholder } : {})} onChange={(_e, v) => onPath(v)} {...(onBlur ? { onBlur } : {})} validated={invalid ? "error" : "default"} />
        <Button variant="secondary" aria-expanded={open} aria-controls={`${id}-picker`} aria-label={`Browse for ${what}`} onClick={() => setOpen(!open)}>{open ? "Close" : "Browse…"}</Button>
      </div>
      {open ? (
        <div style={{ marginTop: 8 }}>
          <FilePicker id={`${id}-picker`} accept={accept} {...(datastore ? { initialDatastore: datastore } : {})} value={path ? { datastore, path } : null}
            onChange={(file) => { if (file) { onPick(file); setOpen(false); } }} />
        </div>
      ) : null}
    </>
  );
}
