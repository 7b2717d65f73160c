// Uploads into datastores, kept outside any view so they go on while the user moves around the
// Host Client. Each asks first what is already there: a file (replace it?), or the part of an
// earlier upload of the same size (continue it?). A broken connection leaves the upload
// interrupted, to resume from what vmctld stored (GET ?upload=status, then Content-Range).
import { useSyncExternalStore } from "react";
import { ApiError } from "../api/http";
import { joinPath, uploadFrom, uploadStatus } from "../api/datastores";

export type UploadPhase = "checking" | "uploading" | "done" | "failed" | "interrupted" | "exists" | "partial" | "cancelled";

export interface Upload {
  id: number;
  datastore: string;
  path: string;
  file: File;
  phase: UploadPhase;
  /** Bytes in place on the datastore (sent, or found from an earlier upload). */
  sent: number;
  /** Bytes a second, measured over the last few seconds. */
  rate: number | null;
  error: string | null;
}

type Report = (title: string, detail: string) => void;
interface Control { report: Report; abort?: () => void; overwrite: boolean; samples: Array<[number, number]> }

let uploads: readonly Upload[] = [];
let landed = 0;
let nextId = 1;
const controls = new Map<number, Control>();
const listeners = new Set<() => void>();
const emit = () => { for (const listener of listeners) listener(); };

function update(id: number, change: Partial<Upload>): void {
  uploads = uploads.map((u) => (u.id === id ? { ...u, ...change } : u));
  emit();
}
const find = (id: number) => uploads.find((u) => u.id === id);

/** Starts uploading `file` into folder `dir` of `datastore`; failures beyond an interruption go to `report`. */
export function startUpload(datastore: string, dir: string, file: File, report: Report): void {
  const upload: Upload = { id: nextId++, datastore, path: joinPath(dir, file.name), file, phase: "checking", sent: 0, rate: null, error: null };
  controls.set(upload.id, { report, overwrite: false, samples: [] });
  uploads = [upload, ...uploads];
  emit();
  void check(upload.id);
}

async function check(id: number): Promise<void> {
  const u = find(id)!;
  try {
    const status = await uploadStatus(u.datastore, u.path);
    if (status.complete) update(id, { phase: "exists", sent: 0 });
    else if (status.total === u.file.size && status.received > 0) update(id, { phase: "partial", sent: status.received });
    else send(id, 0);
  } catch (error) {
    fail(id, error as Error);
  }
}

function send(id: number, from: number): void {
  const u = find(id)!;
  const control = controls.get(id)!;
  control.samples = [[Date.now(), from]];
  update(id, { phase: "uploading", sent: from, rate: null, error: null });
  const sending = uploadFrom(u.datastore, u.path, u.file, from, control.overwrite, (sent) => {
    const now = Date.now();
    control.samples = [...control.samples.filter(([t]) => now - t < 5000), [now, sent]];
    const [t0, b0] = control.samples[0]!;
    update(id, { sent, rate: now - t0 > 500 ? ((sent - b0) * 1000) / (now - t0) : null });
  });
  control.abort = sending.abort;
  sending.done.then(
    () => { landed++; update(id, { phase: "done", sent: u.file.size, rate: null }); },
    (error: ApiError) => {
      if (find(id)?.phase === "cancelled") return;
      // Another client moved the upload on: ask again where it stands and go on from there.
      if (error.code === "upload_offset_mismatch") void resumeUpload(id);
      else if (error.status === 0) update(id, { phase: "interrupted", rate: null, error: error.message });
      else fail(id, error);
    },
  );
}

function fail(id: number, error: Error): void {
  const u = find(id);
  if (!u) return;
  update(id, { phase: error instanceof ApiError && error.status === 0 ? "interrupted" : "failed", rate: null, error: error.message });
  if (!(error instanceof ApiError && error.status === 0)) controls.get(id)?.report(`Could not upload ${u.file.name}`, error.message);
}

/** Continues from what vmctld has stored of this upload. */
export async function resumeUpload(id: number): Promise<void> {
  const u = find(id);
  if (!u) return;
  update(id, { phase: "checking", error: null });
  try {
    const status = await uploadStatus(u.datastore, u.path);
    if (status.complete && status.total === u.file.size && !controls.get(id)!.overwrite) { landed++; update(id, { phase: "done", sent: u.file.size }); return; }
    send(id, status.total === u.file.size && !status.complete ? status.received : 0);
  } catch (error) {
    fail(id, error as Error);
  }
}

/** The path holds a file already: upload over it. */
export function replaceFile(id: number): void {
  controls.get(id)!.overwrite = true;
  send(id, 0);
}

/** An earlier upload's part is there: send everything again instead of continuing it. */
export const startOver = (id: number): void => send(id, 0);

/** Stops sending; what arrived stays (hidden) on the datastore, so the same upload can continue later. */
export function cancelUpload(id: number): void {
  update(id, { phase: "cancelled", rate: null });
  controls.get(id)?.abort?.();
}

export function dismissUpload(id: number): void {
  uploads = uploads.filter((u) => u.id !== id);
  controls.delete(id);
  emit();
}

const active = (u: Upload) => u.phase === "uploading" || u.phase === "checking";

// Leaving the page would end the uploads: the browser asks first.
window.addEventListener("beforeunload", (event) => { if (uploads.some(active)) event.preventDefault(); });

const subscribe = (listener: () => void) => { listeners.add(listener); return () => { listeners.delete(listener); }; };

/** The uploads of this page, newest first. */
export const useUploads = (): readonly Upload[] => useSyncExternalStore(subscribe, () => uploads);

/** Moves when an upload lands: listings and the ISO library read again then. */
export const useLandedCount = (): number => useSyncExternalStore(subscribe, () => landed);
