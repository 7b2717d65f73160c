// The serial console in xterm.js: scroll-back, copy and paste, resize to fit, typing (when allowed),
// and Ctrl+] to leave it with the keyboard.
import { useEffect, useId, useRef, useState } from "react";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { Label } from "@patternfly/react-core";
import { useVMConsole } from "../../api/console";
import { ConsoleExit, isLeaveKey } from "./ConsoleExit";

export default function SerialConsole({ name, canType }: { name: string; canType: boolean }) {
  const element = useRef<HTMLDivElement>(null);
  const exit = useRef<HTMLParagraphElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const hintId = useId();
  const [status, setStatus] = useState("connecting…");
  const { send } = useVMConsole(name, { output: (bytes) => terminal.current?.write(bytes), status: setStatus });
  const sendRef = useRef(send);
  sendRef.current = send;
  useEffect(() => {
    const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14, cursorBlink: true, disableStdin: !canType, theme: { background: "#151515" } });
    term.open(element.current!);
    term.textarea?.setAttribute("aria-label", `Serial console of ${name}${canType ? "" : " (read only)"}`);
    term.textarea?.setAttribute("aria-describedby", hintId);
    term.attachCustomKeyEventHandler((event) => {
      if (!isLeaveKey(event)) return true;
      event.preventDefault();
      exit.current?.focus();
      return false;
    });
    const resize = () => {
      // Fit the terminal's columns and rows to its box (the fit addon's arithmetic, done here).
      const box = element.current!.getBoundingClientRect();
      const cell = (term as unknown as { _core?: { _renderService?: { dimensions?: { css: { cell: { width: number; height: number } } } } } })._core?._renderService?.dimensions?.css.cell;
      if (cell && cell.width > 0) term.resize(Math.max(20, Math.floor(box.width / cell.width)), Math.max(5, Math.floor(box.height / cell.height)));
    };
    resize();
    window.addEventListener("resize", resize);
    const input = term.onData((data) => sendRef.current(data));
    terminal.current = term;
    term.focus();
    return () => { window.removeEventListener("resize", resize); input.dispose(); term.dispose(); terminal.current = null; };
  }, [canType, name, hintId]);
  return (
    <div style={{ marginTop: 16 }}>
      <div style={{ marginBottom: 8, display: "flex", gap: 8, alignItems: "center" }}>
        Serial console <Label isCompact color={status === "connected" ? "green" : "orange"} data-testid="console-status">{status}</Label>
        {canType ? null : <Label isCompact color="grey">read only</Label>}
      </div>
      <div ref={element} data-testid="serial-console" style={{ height: 420, background: "#151515", padding: 4, borderRadius: 4 }} />
      <ConsoleExit ref={exit} id={hintId} />
    </div>
  );
}
