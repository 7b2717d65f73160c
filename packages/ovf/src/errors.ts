// The one error class of this package: every refusal of a hostile or broken OVA, OVF, manifest or
// libvirt XML is an OvfError, so callers (and the property tests) can tell ours from a bug.
import { VmctlError, type ErrorCode } from "@vmctl/api-types";

export type OvfErrorReason =
  | "xml_refused" // a DOCTYPE or ENTITY declaration, or input too large or deep
  | "xml_malformed"
  | "descriptor_invalid" // well-formed XML that is not a usable OVF descriptor
  | "domain_invalid" // well-formed XML that is not a usable libvirt domain
  | "tar_refused" // a member that could escape the target or is not a plain file
  | "tar_malformed"
  | "too_large"
  | "manifest_invalid"
  | "manifest_mismatch"
  | "package_invalid"; // an OVF folder or OVA whose files do not match its descriptor

// The registry has no OVF-specific codes yet: every reason answers 400 except a size limit.
const CODES: Record<OvfErrorReason, ErrorCode> = {
  xml_refused: "bad_request",
  xml_malformed: "bad_request",
  descriptor_invalid: "bad_request",
  domain_invalid: "bad_request",
  tar_refused: "bad_request",
  tar_malformed: "bad_request",
  too_large: "payload_too_large",
  manifest_invalid: "bad_request",
  manifest_mismatch: "bad_request",
  package_invalid: "bad_request",
};

export class OvfError extends VmctlError {
  readonly reason: OvfErrorReason;
  constructor(reason: OvfErrorReason, message: string, details?: Record<string, unknown>) {
    super(CODES[reason], message, { reason, ...details });
    this.name = "OvfError";
    this.reason = reason;
  }
}
