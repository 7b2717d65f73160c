// The serial console in xterm.js: scroll-back, copy and paste, resize to fit its box (the whole
// window when it has one of its own), typing (when allowed), the kernel's magic SysRq keys ("Send
// SysRq", through the VM's keyboard: vmctld has no serial break), font size and colours from
// "Terminal settings", and Ctrl+] to leave it with the keyboard. Opened while the VM is not running it waits,
// says so (with a Start button for who may start it) and shows the boot from its first line.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { Alert, Button, Label } from "@patternfly/react-core";
import { useVMConsole } from "../../api/console";
import { ConsoleExit, isLeaveKey } from "./ConsoleExit";
import { SCHEMES, useFontSize, useScheme } from "./prefs";
import { TerminalSettings } from "./TerminalSettings";
import { SendKeyMenu } from "./SendKeyMenu";

export interface SerialConsoleProps {
  name: string;
  canType: boolean;
  /** Take all the height the parent gives (a console in its own window) instead of a fixed box. */
  fill?: boolean;
  /** Offered while the console waits for a stopped VM, when the user may start it. */
  onStart?: (() => void) | undefined;
  /** More buttons for the toolbar ("Open in its own window"). */
  actions?: ReactNode;
}

type Cell = { width: number; height: number };
const cellOf = (term: Terminal): Cell | undefined =>
  (term as unknown as { _core?: { _renderService?: { dimensions?: { css: { cell: Cell } } } } })._core?._renderService?.dimensions?.css.cell;

export default function SerialConsole({ name, canType, fill = false, onStart, actions }: SerialConsoleProps) {
  const element = useRef<HTMLDivElement>(null);
  const exit = useRef<HTMLParagraphElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const fit = useRef<() => void>(() => {});
  const hintId = useId();
  const [status, setStatus] = useState("connecting…");
  const [attachment, setAttachment] = useState<"waiting" | "attached" | null>(null);
  const [fontSize] = useFontSize();
  const [schemeName] = useScheme();
  const scheme = SCHEMES[schemeName];
  const { send } = useVMConsole(name, { output: (bytes) => terminal.current?.write(bytes), status: setStatus, attachment: setAttachment });
  const sendRef = useRef(send);
  sendRef.current = send;
  const initial = useRef({ fontSize, scheme });
  initial.current = { fontSize, scheme };
  useEffect(() => {
    const { fontSize: size, scheme: colours } = initial.current;
    const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: size, cursorBlink: true, disableStdin: !canType, theme: themeOf(colours) });
    const box = element.current!;
    term.open(box);
    term.textarea?.setAttribute("aria-label", `Serial console of ${name}${canType ? "" : " (read only)"}`);
    term.textarea?.setAttribute("aria-describedby", hintId);
    term.attachCustomKeyEventHandler((event) => {
      if (!isLeaveKey(event)) return true;
      event.preventDefault();
      exit.current?.focus();
      return false;
    });
    // Fit the terminal's columns and rows to its box (the fit addon's arithmetic, done here), at
    // every change of the box: the window resized, a new font size.
    fit.current = () => {
      const cell = cellOf(term);
      if (!cell || cell.width <= 0 || cell.height <= 0) return;
      const cols = Math.max(20, Math.floor(box.clientWidth / cell.width));
      const rows = Math.max(5, Math.floor(box.clientHeight / cell.height));
      if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
    };
    fit.current();
    const observer = new ResizeObserver(() => fit.current());
    observer.observe(box);
    const input = term.onData((data) => sendRef.current(data));
    terminal.current = term;
    term.focus();
    return () => { observer.disconnect(); fit.current = () => {}; input.dispose(); term.dispose(); terminal.current = null; };
  }, [canType, name, hintId]);
  // Terminal settings apply at once, to the open terminal.
  useEffect(() => {
    const term = terminal.current;
    if (!term) return;
    term.options.fontSize = fontSize;
    term.options.theme = themeOf(scheme);
    fit.current();
  }, [fontSize, scheme]);
  const waiting = attachment === "waiting";
  return (
    <div className="vmctl-console" style={fill ? { flex: 1, minHeight: 0, display: "flex", flexDirection: "column" } : { marginTop: 16 }}>
      <div style={{ marginBottom: 8, display: "flex", gap: 8, alignItems: "center", flexWrap: "wrap" }}>
        <span style={{ display: "inline-flex", gap: 8, alignItems: "center", marginRight: "auto" }}>
          Serial console <Label isCompact color={status === "connected" ? "green" : "orange"} data-testid="console-status">{status}</Label>
          {canType ? null : <Label isCompact color="grey">read only</Label>}
        </span>
        {canType ? <SendKeyMenu name={name} sysrq isDisabled={attachment === "waiting"} /> : null}
        <TerminalSettings />
        {actions}
      </div>
      {waiting ? (
        <Alert isInline isPlain variant="info" title={`Waiting for ${name} to start…`} data-testid="console-waiting" style={{ marginBottom: 8 }}
          actionLinks={onStart ? <Button size="sm" onClick={onStart}>Start {name}</Button> : undefined}>
          The console is open: it shows the whole boot from its first line when {name} starts.
        </Alert>
      ) : null}
      <div style={{ background: scheme.background, padding: 4, borderRadius: 4, ...(fill ? { flex: 1, minHeight: 0, display: "flex" } : {}) }}>
        <div ref={element} data-testid="serial-console" style={fill ? { flex: 1, minWidth: 0, minHeight: 0, overflow: "hidden" } : { height: 420, overflow: "hidden" }} />
      </div>
      <ConsoleExit ref={exit} id={hintId} />
    </div>
  );
}

const themeOf = (s: (typeof SCHEMES)[keyof typeof SCHEMES]) => ({ background: s.background, foreground: s.foreground, cursor: s.cursor, cursorAccent: s.background, selectionBackground: s.selectionBackground });
