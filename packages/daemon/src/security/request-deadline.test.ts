import { describe, it, expect, vi, afterEach } from "vitest";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { enforceRequestDeadline, isUpload, REQUEST_DEADLINE_MS, UPLOAD_IDLE_MS } from "./request-deadline.js";

/** A request, its response and its socket, enough for the deadline: the socket's timeout is a timer. */
function fakeExchange(method: string, url: string) {
  const socket = Object.assign(new EventEmitter(), {
    destroy: vi.fn(),
    idle: undefined as NodeJS.Timeout | undefined,
    setTimeout(ms: number, onTimeout?: () => void) {
      clearTimeout(this.idle);
      if (onTimeout) this.once("timeout", onTimeout);
      if (ms > 0) this.idle = setTimeout(() => this.emit("timeout"), ms);
      return this;
    },
    /** Bytes arriving: the idle timer starts again. */
    data() { if (this.idle) this.idle.refresh(); },
  });
  const request = { method, url, socket, complete: false } as unknown as IncomingMessage & { complete: boolean };
  const response = new EventEmitter() as unknown as ServerResponse;
  enforceRequestDeadline(request, response);
  return { socket, request, response };
}

afterEach(() => { vi.useRealTimers(); });

describe("request deadline", () => {
  it("spares only uploads into a datastore and OVA imports from the whole-request deadline", () => {
    expect(isUpload("PUT", "/api/v1/datastores/local/files/iso/debian.iso")).toBe(true);
    expect(isUpload("PUT", "/api/v1/datastores/local/files/a?overwrite=true")).toBe(true);
    expect(isUpload("GET", "/api/v1/datastores/local/files/iso/debian.iso")).toBe(false);
    expect(isUpload("PUT", "/api/v1/vms/web01")).toBe(false);
    expect(isUpload("PUT", "/api/v1/datastores/local/filesx")).toBe(false);
    expect(isUpload("POST", "/api/v1/import?name=web01")).toBe(true);
    expect(isUpload("POST", "/api/v1/importer")).toBe(false);
  });

  it("ends a request still arriving after a minute, but not one that has arrived", () => {
    vi.useFakeTimers();
    const slow = fakeExchange("POST", "/api/v1/vms");
    const done = fakeExchange("POST", "/api/v1/vms");
    done.request.complete = true;
    vi.advanceTimersByTime(REQUEST_DEADLINE_MS - 1);
    expect(slow.socket.destroy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(slow.socket.destroy).toHaveBeenCalledOnce();
    expect(done.socket.destroy).not.toHaveBeenCalled();
  });

  it("lets an upload that keeps moving run past the minute, and cuts one idle for two", () => {
    vi.useFakeTimers();
    const upload = fakeExchange("PUT", "/api/v1/datastores/local/files/iso/big.iso");
    for (let elapsed = 0; elapsed < 5 * REQUEST_DEADLINE_MS; elapsed += 10_000) {
      vi.advanceTimersByTime(10_000);
      upload.socket.data();
    }
    expect(upload.socket.destroy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(UPLOAD_IDLE_MS);
    expect(upload.socket.destroy).toHaveBeenCalledOnce();
  });
});
