// "Terminal settings": the serial console's font size and colours, applied at once and kept in
// this browser (every serial console of every VM, the pop-out window included).
import { useId } from "react";
import { Button, Form, FormGroup, FormSelect, FormSelectOption, Popover } from "@patternfly/react-core";
import { FONT_SIZES, SCHEMES, useFontSize, useScheme, type SchemeName } from "./prefs";

export function TerminalSettings() {
  const [fontSize, setFontSize] = useFontSize();
  const [scheme, setScheme] = useScheme();
  const id = useId();
  const body = (
    <Form onSubmit={(e) => e.preventDefault()}>
      <FormGroup label="Font size" fieldId={`${id}-size`}>
        <FormSelect id={`${id}-size`} value={String(fontSize)} onChange={(_e, v) => setFontSize(Number(v))}>
          {FONT_SIZES.map((size) => <FormSelectOption key={size} value={String(size)} label={`${size} px`} />)}
        </FormSelect>
      </FormGroup>
      <FormGroup label="Colours" fieldId={`${id}-colours`}>
        <FormSelect id={`${id}-colours`} value={scheme} onChange={(_e, v) => setScheme(v as SchemeName)}>
          {Object.entries(SCHEMES).map(([key, s]) => <FormSelectOption key={key} value={key} label={s.label} />)}
        </FormSelect>
      </FormGroup>
    </Form>
  );
  return (
    <Popover aria-label="Terminal settings" headerContent="Terminal settings" bodyContent={body} position="bottom-end" closeBtnAriaLabel="Close terminal settings">
      <Button size="sm" variant="secondary">Terminal settings</Button>
    </Popover>
  );
}
