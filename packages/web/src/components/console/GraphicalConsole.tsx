// The graphical console in noVNC, through vmctld's WebSocket proxy to the VM's VNC socket:
// Ctrl-Alt-Del, scale to fit, full screen, and text typed into the guest as keystrokes.
import { useEffect, useRef, useState } from "react";
import RFB from "@novnc/novnc";
import { Button, Label, TextInput } from "@patternfly/react-core";
import { api, wsUrl } from "../../api/http";
import { useNotify } from "../../state/notify";

export default function GraphicalConsole({ name, canType }: { name: string; canType: boolean }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [status, setStatus] = useState("connecting…");
  const [text, setText] = useState("");
  const notify = useNotify();
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const open = async () => {
      try {
        const { url } = await api<{ url: string }>("POST", `/api/v1/vms/${encodeURIComponent(name)}/console`, { purpose: "vnc" });
        if (stopped) return;
        const client = new RFB(screen.current!, wsUrl(url), { wsProtocols: ["binary"] });
        client.scaleViewport = true;
        client.viewOnly = !canType;
        client.background = "#151515";
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
      }
    };
    void open();
    return () => { stopped = true; window.clearTimeout(timer); rfb.current?.disconnect(); };
  }, [name, canType]);
  const typeText = async (value: string) => {
    if (!value) return;
    try {
      await api("POST", `/api/v1/vms/${encodeURIComponent(name)}/sendkey`, { text: value });
      setText("");
    } catch (error) {
      notify("Could not type the text", (error as Error).message);
    }
  };
  return (
    <div style={{ marginTop: 16 }}>
      <div style={{ display: "flex", gap: 8, alignItems: "center", marginBottom: 8, flexWrap: "wrap" }}>
        <span>Graphical console <Label isCompact color={status === "connected" ? "green" : "orange"} data-testid="vnc-status">{status}</Label></span>
        {canType ? (
          <>
            <Button size="sm" variant="secondary" onClick={() => rfb.current?.sendCtrlAltDel()}>Send Ctrl-Alt-Del</Button>
            <TextInput aria-label="Text to type into the guest" placeholder="Paste text to type as keystrokes" value={text} onChange={(_e, v) => setText(v)} style={{ width: 280 }} />
            <Button size="sm" variant="secondary" onClick={() => void typeText(text)} isDisabled={!text}>Type it</Button>
            <Button size="sm" variant="secondary" onClick={() => void navigator.clipboard.readText().then(typeText, () => notify("No clipboard access", "Paste into the field instead."))}>Paste clipboard as keystrokes</Button>
          </>
        ) : <Label isCompact color="grey">view only</Label>}
        <Button size="sm" variant="link" onClick={() => void screen.current?.requestFullscreen()}>Full screen</Button>
      </div>
      <div ref={screen} data-testid="vnc-screen" style={{ height: 480, background: "#151515" }} />
    </div>
  );
}
