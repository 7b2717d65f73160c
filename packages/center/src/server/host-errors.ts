// A host's answer, as vmcenter passes it on: the host's own error code and message when it refused
// (404 task_not_found stays 404), host_unreachable when it could not be reached at all.
import { ERROR_CODES, VmctlError, type ErrorCode } from "@vmctl/api-types";
import { ApiError, ConnectionError } from "@vmctl/client";

export function hostError(error: unknown, hostId: string): unknown {
  if (error instanceof VmctlError) return error;
  if (error instanceof ApiError) {
    if (Object.hasOwn(ERROR_CODES, error.code)) return new VmctlError(error.code as ErrorCode, error.message, error.details);
    return new VmctlError("host_unreachable", `host ${hostId} answered HTTP ${error.status}: ${error.message.slice(0, 300)}`, { host: hostId });
  }
  if (error instanceof ConnectionError || (error as NodeJS.ErrnoException)?.code) {
    return new VmctlError("host_unreachable", `host ${hostId} does not answer (${(error as Error).message.slice(0, 300)}); retry when it is back`, { host: hostId });
  }
  return error;
}
