// The graphical console in noVNC, through vmctld's WebSocket proxy to the VM's VNC socket: a
// "Send key" menu, scaled to fit without distortion or shown 1:1 with scroll bars (the user's
// choice, remembered), full screen, text typed into the guest as keystrokes, and Ctrl+] to leave
// the screen with the keyboard. In its own window it takes the whole window.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import RFB from "@novnc/novnc";
import { Button, Label, TextInput, ToggleGroup, ToggleGroupItem } from "@patternfly/react-core";
import { client as api, isRefusal } from "../../api/http";
import { useNotify } from "../../state/notify";
import { ConsoleExit, isLeaveKey } from "./ConsoleExit";
import { SendKeyMenu } from "./SendKeyMenu";
import { useScaleMode } from "./prefs";

export interface GraphicalConsoleProps {
  name: string;
  canType: boolean;
  /** Take all the height the parent gives (a console in its own window) instead of a fixed box. */
  fill?: boolean;
  /** More buttons for the toolbar ("Open in its own window"). */
  actions?: ReactNode;
}

export default function GraphicalConsole({ name, canType, fill = false, actions }: GraphicalConsoleProps) {
  const screen = useRef<HTMLDivElement>(null);
  const exit = useRef<HTMLParagraphElement>(null);
  const rfb = useRef<RFB | null>(null);
  const hintId = useId();
  const [status, setStatus] = useState("connecting…");
  const [text, setText] = useState("");
  const [scale, setScale] = useScaleMode();
  const scaleRef = useRef(scale);
  scaleRef.current = scale;
  const notify = useNotify();
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const open = async () => {
      try {
        const url = await api.vmSocketUrl(name, "vnc");
        if (stopped) return;
        const client = new RFB(screen.current!, url, { wsProtocols: ["binary"] });
        // Scaled, noVNC keeps the screen's aspect (one ratio for both sides); 1:1, its box scrolls.
        client.scaleViewport = scaleRef.current === "fit";
        client.viewOnly = !canType;
        client.background = "#151515";
        // noVNC leaves its canvas out of the Tab order; put it in, named, so the keyboard can reach it.
        const canvas = screen.current!.querySelector("canvas");
        canvas?.setAttribute("tabindex", "0");
        canvas?.setAttribute("aria-label", `Screen of ${name}${canType ? "" : " (view only)"}`);
        canvas?.setAttribute("aria-describedby", hintId);
        client.addEventListener("connect", () => setStatus("connected"));
        client.addEventListener("disconnect", () => {
          rfb.current = null;
          if (stopped) return;
          setStatus("disconnected; reconnecting…");
          timer = window.setTimeout(() => void open(), 2000);
        });
        rfb.current = client;
      } catch (error) {
        setStatus(`cannot open the display: ${(error as Error).message}`);
        // noVNC does not say why its socket closed; the ticket asked for again does: never retry a refusal.
        if (!stopped && !isRefusal(error)) timer = window.setTimeout(() => void open(), 5000);
      }
    };
    void open();
    // Heard before noVNC's own handler on the canvas, so the guest never gets this key.
    const leave = (event: KeyboardEvent) => {
      if (!isLeaveKey(event)) return;
      event.preventDefault();
      event.stopPropagation();
      exit.current?.focus();
    };
    const box = screen.current!;
    box.addEventListener("keydown", leave, true);
    return () => { stopped = true; window.clearTimeout(timer); box.removeEventListener("keydown", leave, true); rfb.current?.disconnect(); };
  }, [name, canType, hintId]);
  useEffect(() => { if (rfb.current) rfb.current.scaleViewport = scale === "fit"; }, [scale]);
  const typeText = async (value: string) => {
    if (!value) return;
    try {
      await api.sendKey(name, { text: value });
      setText("");
    } catch (error) {
      notify("Could not type the text", (error as Error).message);
    }
  };
  return (
    <div className="vmctl-console" style={fill ? { flex: 1, minHeight: 0, display: "flex", flexDirection: "column" } : { marginTop: 16 }}>
      <div style={{ display: "flex", gap: 8, alignItems: "center", marginBottom: 8, flexWrap: "wrap" }}>
        <span style={{ display: "inline-flex", gap: 8, alignItems: "center", marginRight: "auto" }}>
          Graphical console <Label isCompact color={status === "connected" ? "green" : "orange"} data-testid="vnc-status">{status}</Label>
          {canType ? null : <Label isCompact color="grey">view only</Label>}
        </span>
        {canType ? (
          <>
            <SendKeyMenu name={name} />
            <form style={{ display: "flex", gap: 8, alignItems: "center" }} onSubmit={(e) => { e.preventDefault(); void typeText(text); }}>
              <div style={{ width: 200 }}><TextInput aria-label="Text to type into the guest" placeholder="Text to type as keystrokes" value={text} onChange={(_e, v) => setText(v)} /></div>
              <Button size="sm" variant="secondary" type="submit" isDisabled={!text}>Type it</Button>
            </form>
            <Button size="sm" variant="secondary" onClick={() => void navigator.clipboard.readText().then(typeText, () => notify("No clipboard access", "Paste into the field instead."))}>Type the clipboard</Button>
          </>
        ) : null}
        <ToggleGroup isCompact aria-label="Screen size">
          <ToggleGroupItem text="Scale to fit" isSelected={scale === "fit"} onChange={() => setScale("fit")} />
          <ToggleGroupItem text="Actual size (1:1)" isSelected={scale === "actual"} onChange={() => setScale("actual")} />
        </ToggleGroup>
        <Button size="sm" variant="link" onClick={() => void screen.current?.requestFullscreen()}>Full screen</Button>
        {actions}
      </div>
      <div ref={screen} data-testid="vnc-screen" data-scale={scale} style={{ background: "#151515", borderRadius: 4, overflow: "hidden", ...(fill ? { flex: 1, minHeight: 0 } : { height: 480 }) }} />
      <ConsoleExit ref={exit} id={hintId} />
    </div>
  );
}
