// The registry of every error code vmctl answers with: its HTTP status, whether the same request may
// succeed later unchanged (retryable), and so its WebSocket close code; and the one mapping from an
// error to its HTTP, task and WebSocket answer. docs/errors.md lists the same codes; errors.test.ts
// fails when the two drift apart.

export const ERROR_CODES = {
  unauthenticated: { status: 401, summary: "No valid credentials: log in, or send a bearer token (Authorization: Bearer vmctl_…)." },
  forbidden: { status: 403, summary: "Authenticated, but the role lacks the privilege the operation needs; details name it." },
  csrf_failed: { status: 403, summary: "A cookie-authenticated request that changes something lacks the X-CSRF-Token header from login." },
  login_locked: { status: 429, summary: "Too many failed logins for this user from this address, or from this address whatever the names (50 in 10 minutes); wait the time given and retry.", retryable: true },
  rate_limited: { status: 429, summary: "Too much at once: more than 200 WebSocket messages a second on one connection (a flood ends it), more WebSockets open than one user may hold (64), more viewers than one console takes, more input than a guest reads, or more power requests or other queued tasks (snapshots, reverts) waiting for one VM than it queues (16).", retryable: true },
  bad_request: { status: 400, summary: "The request is malformed: a field is missing, mistyped or out of range." },
  invalid_definition: { status: 400, summary: "A VM definition does not parse or does not validate; details name file, line and field." },
  path_outside_datastore: { status: 400, summary: "A path leaves its datastore (`..`, an absolute path elsewhere, or a symlink escape)." },
  image_unsafe: { status: 400, summary: "A disk image would make QEMU read a file outside where its user may (a backing file, VMDK extent or data file), or is not in its declared format; details name the image and the file." },
  vm_not_found: { status: 404, summary: "No VM of that name is defined on this host." },
  user_not_found: { status: 404, summary: "No user of that name." },
  token_not_found: { status: 404, summary: "No API token with that id." },
  task_not_found: { status: 404, summary: "No task has that id (it may have expired)." },
  datastore_not_found: { status: 404, summary: "No datastore of that name is configured." },
  network_not_found: { status: 404, summary: "No host network of that name; `vmctl network ls` lists them." },
  port_forward_not_found: { status: 404, summary: "The VM has no port forward with that id; `vmctl port-forward ls <vm>` lists them." },
  nic_not_found: { status: 404, summary: "The VM has no NIC with that id; `vmctl nic ls <vm>` lists them." },
  file_not_found: { status: 404, summary: "No file or directory at that path of the datastore." },
  not_found: { status: 404, summary: "No such route." },
  snapshot_not_found: { status: 404, summary: "The VM has no snapshot of that name; `vmctl snapshot ls <vm>` lists them." },
  disk_not_found: { status: 404, summary: "The VM has no disk or CD-ROM with that id." },
  user_exists: { status: 409, summary: "A user of that name already exists." },
  vm_exists: { status: 409, summary: "A VM of that name already exists." },
  vm_wrong_state: { status: 409, summary: "The VM's state does not allow the operation; details give the state and the allowed ones." },
  file_exists: { status: 409, summary: "A file the operation would create already exists." },
  datastore_exists: { status: 409, summary: "A datastore of that name already exists." },
  network_exists: { status: 409, summary: "A host network of that name already exists." },
  network_not_removable: { status: 409, summary: "The network is `default` or declared in vmctld.toml: only networks added through the API can be removed or changed." },
  datastore_not_removable: { status: 409, summary: "The datastore is `local` or declared in vmctld.toml: only datastores added through the API can be removed." },
  directory_not_empty: { status: 409, summary: "Only an empty directory can be deleted; delete what it holds first." },
  upload_offset_mismatch: { status: 409, summary: "A resumed upload does not start where the stored part ends; `GET …?upload=status` gives `received`, continue from there." },
  upload_in_progress: { status: 409, summary: "Another request is uploading to the same path; wait for it to end.", retryable: true },
  snapshot_exists: { status: 409, summary: "The VM already has a snapshot of that name." },
  unsupported_format: { status: 409, summary: "A disk's format cannot do the operation (e.g. a snapshot of a raw disk); details name the disk." },
  vm_is_template: { status: 409, summary: "The VM is a template: it cannot start or change; clone it, or turn it back into a VM." },
  in_use: { status: 409, summary: "Something still depends on the object (a linked clone on a template, a VM on a file)." },
  task_not_cancellable: { status: 409, summary: "The task has ended, or is running work that cannot stop halfway." },
  precondition_failed: { status: 412, summary: "The definition changed since it was read (stale If-Match ETag): read it again and retry." },
  unsupported_media_type: { status: 415, summary: "The body's Content-Type is not one this route takes." },
  payload_too_large: { status: 413, summary: "The body exceeds the size limit." },
  length_required: { status: 411, summary: "An upload needs a Content-Length header." },
  range_not_satisfiable: { status: 416, summary: "A Range asks for bytes past the end of the file; the Content-Range header gives its size." },
  batch_failed: { status: 500, summary: "Some VMs of a batch failed; the parent task's log names each with its reason." },
  qemu_failed: { status: 500, summary: "QEMU refused to start or failed; details carry its message." },
  qmp_error: { status: 500, summary: "QEMU answered a QMP command with an error." },
  server_busy: { status: 503, summary: "vmctld is already checking as many passwords as it queues (scrypt is bounded); retry after the seconds in details.retryAfter.", retryable: true },
  host_not_found: { status: 404, summary: "No host of that id (or name) is joined to the cluster; `vmctl cluster hosts` lists them." },
  no_host_available: { status: 409, summary: "Placement found no host that can take the VM (memory, CPUs, datastores, rules, maintenance); the task log and details give each host's reason." },
  migration_incompatible: { status: 409, summary: "The VM cannot move to that host: its QEMU version or CPU model differs, it lacks the VM's datastore or network, or the VM's state does not allow it; details say which." },
  host_unreachable: { status: 502, summary: "vmcenter could not reach the host that owns the VM (its agent's lease expired or its API does not answer); retry when it is back.", retryable: true },
  cluster_unavailable: { status: 503, summary: "vmcenter or a host agent cannot reach etcd, or no vmcenter replica leads yet; retry in a few seconds.", retryable: true },
  timeout: { status: 504, summary: "The operation did not finish in time.", retryable: true },
  internal: { status: 500, summary: "An unexpected error inside vmctld; the log has the details." },
} as const satisfies Record<string, { status: number; summary: string; retryable?: true }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An error that knows its code and so its HTTP status; every layer throws these. */
export class VmctlError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "VmctlError";
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
  toBody(): ErrorBody {
    return this.details === undefined
      ? { error: { code: this.code, message: this.message } }
      : { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/** Whether the same request may succeed later, unchanged (after a wait, or once other work ends). */
export function isRetryable(code: ErrorCode): boolean {
  return (ERROR_CODES[code] as { retryable?: true }).retryable === true;
}

/**
 * The close code of a WebSocket that an error ends: 4000 + the HTTP status (4404 no such VM, 4409
 * wrong state, 4429 too much at once), in the range RFC 6455 leaves to applications.
 */
export function wsCloseCodeOf(code: ErrorCode): number {
  return 4000 + ERROR_CODES[code].status;
}

/** Any error as a coded one; an error that is not a VmctlError is `internal`. */
export interface ErrorAnswer { code: ErrorCode; message: string; details?: unknown; status: number; retryable: boolean }

const INTERNAL_MESSAGE = "internal error in vmctld; its log has the details";

function answerOf(error: unknown, internalMessage: (error: unknown) => string): ErrorAnswer {
  if (error instanceof VmctlError) {
    return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }), status: error.status, retryable: isRetryable(error.code) };
  }
  return { code: "internal", message: internalMessage(error), status: ERROR_CODES.internal.status, retryable: false };
}

/** The HTTP answer: status and {"error":{"code","message","details"}}; an unexpected error says only that it happened (the log has it). */
export function httpErrorAnswer(error: unknown): { status: number; body: ErrorBody } {
  const answer = answerOf(error, () => INTERNAL_MESSAGE);
  const body: ErrorBody = { error: { code: answer.code, message: answer.message, ...(answer.details === undefined ? {} : { details: answer.details }) } };
  return { status: answer.status, body };
}

/**
 * How a failed task records its error: code and message. An unexpected error keeps its own
 * message (a qemu-img or file system failure), as the task's reader needs it to know what failed.
 */
export function taskErrorAnswer(error: unknown): { code: ErrorCode; message: string } {
  const { code, message } = answerOf(error, (e) => String((e as Error | undefined)?.message ?? e));
  return { code, message };
}

/** The WebSocket answer: the `error` message's data, and the close code if the error ends the socket. */
export function wsErrorAnswer(error: unknown): { code: ErrorCode; message: string; closeCode: number } {
  const { code, message } = answerOf(error, () => INTERNAL_MESSAGE);
  return { code, message, closeCode: wsCloseCodeOf(code) };
}
