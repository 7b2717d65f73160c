// A button that opens the file chooser: the input itself stays hidden (it cannot be styled), named
// for assistive technology and for tests that hand it files.
import { useRef, type ReactNode } from "react";
import { Button } from "@patternfly/react-core";

export function FileButton({ label, inputLabel, accept, multiple, onFiles, variant = "primary", icon }: {
  label: string; inputLabel: string; accept?: string; multiple?: boolean; onFiles: (files: File[]) => void; variant?: "primary" | "secondary"; icon?: ReactNode;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <Button variant={variant} onClick={() => input.current?.click()} {...(icon ? { icon } : {})}>{label}</Button>
      <input ref={input} type="file" hidden aria-label={inputLabel} {...(accept ? { accept } : {})} multiple={multiple ?? false}
        onChange={(e) => { const files = [...(e.target.files ?? [])]; e.target.value = ""; if (files.length) onFiles(files); }} />
    </>
  );
}
