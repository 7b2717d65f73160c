import { describe, it, expect } from "vitest";
import { isUpload } from "./request-deadline.js";

describe("request deadline", () => {
  it("spares only uploads into a datastore from the whole-request deadline", () => {
    expect(isUpload("PUT", "/api/v1/datastores/local/files/iso/debian.iso")).toBe(true);
    expect(isUpload("PUT", "/api/v1/datastores/local/files/a?overwrite=true")).toBe(true);
    expect(isUpload("GET", "/api/v1/datastores/local/files/iso/debian.iso")).toBe(false);
    expect(isUpload("PUT", "/api/v1/vms/web01")).toBe(false);
    expect(isUpload("PUT", "/api/v1/datastores/local/filesx")).toBe(false);
    expect(isUpload("POST", "/api/v1/import?name=web01")).toBe(true);
    expect(isUpload("POST", "/api/v1/importer")).toBe(false);
  });
});
