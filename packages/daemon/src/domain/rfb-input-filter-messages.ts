// The client messages of RFB's normal phase, as a read-only view sees them: what may pass (pixel
// format, encodings, update requests), what is input and dropped, and what is refused outright.
// A message the view does not understand is never passed on: the connection is failed instead.

/** More encodings than any real viewer asks for (noVNC sends about 20); beyond it, fail closed. */
export const MAX_ENCODINGS = 1024;
/** Clipboard text is dropped, but its length decides where the next message starts: cap it. */
export const MAX_CUT_TEXT = 1024 * 1024;

export type MessageVerdict =
  | { kind: "wait" } // not enough bytes yet to tell
  | { kind: "pass"; length: number }
  // `input`: what a user did (keys, pointer, clipboard text), as opposed to the extended clipboard's
  // negotiation, which noVNC sends unasked; both are dropped, only input is worth an audit entry.
  | { kind: "drop"; length: number; what: string; input: boolean }
  | { kind: "fail"; reason: string };

const WAIT: MessageVerdict = { kind: "wait" };

/**
 * What to do with the message that starts at `head[0]`, from as few bytes as tell it (at most 8):
 * the caller waits for `length` bytes before passing, and discards `length` bytes when dropping.
 */
export function classifyClientMessage(head: Buffer): MessageVerdict {
  if (head.length === 0) return WAIT;
  const type = head[0]!;
  switch (type) {
    case 0: return { kind: "pass", length: 20 }; // SetPixelFormat
    case 2: { // SetEncodings: type, padding, u16 count, count × s32
      if (head.length < 4) return WAIT;
      const count = head.readUInt16BE(2);
      if (count > MAX_ENCODINGS) return { kind: "fail", reason: `SetEncodings with ${count} encodings (at most ${MAX_ENCODINGS})` };
      return { kind: "pass", length: 4 + 4 * count };
    }
    case 3: return { kind: "pass", length: 10 }; // FramebufferUpdateRequest
    case 4: return { kind: "drop", length: 8, what: "key event", input: true };
    case 5: return { kind: "drop", length: 6, what: "pointer event", input: true };
    case 6: { // ClientCutText: type, 3 padding, s32 length, text
      if (head.length < 8) return WAIT;
      // A negative length is the extended clipboard's (its size is the absolute value): noVNC sends
      // its capabilities so, even when view-only, as soon as QEMU announces the extension.
      const signed = head.readInt32BE(4);
      const length = Math.abs(signed);
      const what = signed < 0 ? "extended clipboard message" : "clipboard text";
      if (length > MAX_CUT_TEXT) return { kind: "fail", reason: `${what} of ${length} bytes (at most ${MAX_CUT_TEXT})` };
      return { kind: "drop", length: 8 + length, what, input: signed >= 0 };
    }
    // XVP asks QEMU to power the VM off or reset it; vmctld does not turn it on (-vnc power-control).
    case 250: return { kind: "fail", reason: "an XVP message (power off, reboot, reset)" };
    case 251: { // SetDesktopSize: type, padding, u16 width, u16 height, u8 screens, padding, screens × 16
      // QEMU resizes the guest's display on it, and viewers send it on their own when resized.
      if (head.length < 8) return WAIT;
      return { kind: "drop", length: 8 + 16 * head[6]!, what: "desktop size request", input: false };
    }
    case 255: return classifyQemuMessage(head);
    default: return { kind: "fail", reason: `unknown client message type ${type}` };
  }
}

/** QEMU's extension (type 255): sub-type 0 is the extended key event, 1 the audio control. */
function classifyQemuMessage(head: Buffer): MessageVerdict {
  if (head.length < 2) return WAIT;
  const subtype = head[1]!;
  if (subtype === 0) return { kind: "drop", length: 12, what: "QEMU key event", input: true };
  if (subtype !== 1) return { kind: "fail", reason: `unknown QEMU client message 255/${subtype}` };
  if (head.length < 4) return WAIT;
  const operation = head.readUInt16BE(2);
  if (operation === 0 || operation === 1) return { kind: "drop", length: 4, what: "QEMU audio control", input: false };
  if (operation === 2) return { kind: "drop", length: 10, what: "QEMU audio format", input: false }; // + u8 format, u8 channels, u32 frequency
  return { kind: "fail", reason: `unknown QEMU audio operation ${operation}` };
}
