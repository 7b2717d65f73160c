import { describe, it, expect } from "vitest";
import { resolveEndpoint, type GlobalOptions, type TargetSources } from "./context.js";
import type { CredentialsFile } from "./credentials.js";
import { CliError } from "./output.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PINNED = "-----BEGIN CERTIFICATE-----\nPINNED\n-----END CERTIFICATE-----\n";
const saved: CredentialsFile = {
  current: "https://saved:8443",
  logins: {
    "https://saved:8443": { url: "https://saved:8443", user: "admin", token: "vmctl_saved", tokenId: "t1", cert: PINNED, fingerprint: "AA" },
  },
};
const files: Record<string, string> = { "/ca.pem": PEM, "/env-ca.pem": PEM.replace("MIIB", "ENV"), "/key.pem": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n" };

function sources(env: Record<string, string> = {}, socket = false, credentials: CredentialsFile = saved): TargetSources {
  return {
    env: { VMCTL_HOME: "/home-dir", ...env },
    saved: credentials,
    socketExists: () => socket,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return text;
    },
  };
}
const resolve = (options: GlobalOptions, env?: Record<string, string>, socket?: boolean) => resolveEndpoint(options, sources(env, socket));

function refusal(options: GlobalOptions, env?: Record<string, string>, socket?: boolean): CliError {
  try {
    resolve(options, env, socket);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return error as CliError;
  }
  throw new Error("resolved, expected a refusal");
}

describe("which server a command talks to", () => {
  it("uses the unix socket under the home when it exists, else the last login with its token and pinned certificate", () => {
    expect(resolve({}, {}, true)).toEqual({ socketPath: "/home-dir/vmctld.sock" });
    expect(resolve({ home: "/h" })).toEqual({ socketPath: "/h/vmctld.sock" });
    expect(resolve({})).toEqual({ url: "https://saved:8443", token: "vmctl_saved", pinnedCert: PINNED });
  });

  it("takes --url, else VMCTL_URL (over the socket and the last login), with the saved login of that URL", () => {
    expect(resolve({ url: "https://saved:8443/some/path" })).toEqual({ url: "https://saved:8443", token: "vmctl_saved", pinnedCert: PINNED });
    expect(resolve({}, { VMCTL_URL: "https://center:9443" }, true)).toEqual({ url: "https://center:9443" });
    expect(resolve({ url: "https://a:1" }, { VMCTL_URL: "https://b:2" }).url).toBe("https://a:1");
    // --home is an option and wins over the variable; --url wins over --home.
    expect(resolve({ home: "/h" }, { VMCTL_URL: "https://b:2" })).toEqual({ socketPath: "/h/vmctld.sock" });
    expect(resolve({ home: "/h", url: "https://a:1" }).url).toBe("https://a:1");
    // An empty variable is as good as unset.
    expect(resolve({}, { VMCTL_URL: "" }, true)).toEqual({ socketPath: "/home-dir/vmctld.sock" });
  });

  it("sends --token, else VMCTL_TOKEN, else the saved login's token; without a saved login too", () => {
    expect(resolve({ url: "https://center:9443", token: "vmcenter_abc" })).toEqual({ url: "https://center:9443", token: "vmcenter_abc" });
    expect(resolve({ url: "https://center:9443" }, { VMCTL_TOKEN: "vmcenter_env" }).token).toBe("vmcenter_env");
    expect(resolve({ url: "https://center:9443", token: "vmcenter_opt" }, { VMCTL_TOKEN: "vmcenter_env" }).token).toBe("vmcenter_opt");
    // A given token replaces the saved one and keeps the pinned certificate of that server.
    expect(resolve({ url: "https://saved:8443" }, { VMCTL_TOKEN: "vmctl_other" })).toEqual({ url: "https://saved:8443", token: "vmctl_other", pinnedCert: PINNED });
    // All from the environment, as the cluster quick start does.
    expect(resolve({}, { VMCTL_URL: "https://center:9443", VMCTL_TOKEN: "t", VMCTL_CA: "/ca.pem" }, true)).toEqual({ url: "https://center:9443", token: "t", ca: PEM });
  });

  it("trusts --ca, else VMCTL_CA, with names checked instead of the pinned certificate", () => {
    expect(resolve({ url: "https://saved:8443", ca: "/ca.pem" })).toEqual({ url: "https://saved:8443", token: "vmctl_saved", ca: PEM });
    expect(resolve({ url: "https://center:9443" }, { VMCTL_CA: "/env-ca.pem" }).ca).toContain("ENV");
    expect(resolve({ url: "https://center:9443", ca: "/ca.pem" }, { VMCTL_CA: "/env-ca.pem" }).ca).toBe(PEM);
    expect(resolve({ url: "https://center:9443", ca: "/ca.pem" }).pinnedCert).toBeUndefined();
  });

  it("says which option or variable is wrong, and how to fix it", () => {
    expect(refusal({ url: "center:9443x" }).message).toMatch(/^--url "center:9443x" is not/);
    expect(refusal({ url: "not a url" }).message).toMatch(/^--url "not a url" is not a URL/);
    expect(refusal({}, { VMCTL_URL: "ftp://x" }).message).toMatch(/^VMCTL_URL "ftp:\/\/x" is not an https:\/\/ URL/);
    expect(refusal({ url: "https://c:1", token: "abc def" }).message).toMatch(/^--token holds a space/);
    expect(refusal({ url: "https://c:1" }, { VMCTL_TOKEN: "abc\n" }).message).toMatch(/^VMCTL_TOKEN holds/);
    expect(refusal({ url: "https://c:1", ca: "/missing.pem" }).message).toMatch(/^--ca "\/missing.pem": cannot read the file \(ENOENT\)/);
    expect(refusal({ url: "https://c:1" }, { VMCTL_CA: "/key.pem" }).message).toMatch(/^VMCTL_CA "\/key.pem" holds no PEM certificate/);
    expect(refusal({ url: "http://c:1", token: "t" }).message).toMatch(/^--token would travel in clear text/);
    expect(refusal({ url: "http://c:1" }, { VMCTL_CA: "/ca.pem" }).message).toMatch(/^VMCTL_CA is for an https:\/\/ URL/);
  });

  it("refuses --token and --ca for the unix socket, but leaves the environment's for the next URL", () => {
    expect(refusal({ home: "/h", token: "t" }).message).toMatch(/^--token is for a server reached by URL/);
    expect(refusal({ ca: "/ca.pem" }, {}, true).message).toMatch(/^--ca is for a server reached by URL/);
    expect(resolve({ home: "/h" }, { VMCTL_TOKEN: "t", VMCTL_CA: "/missing" })).toEqual({ socketPath: "/h/vmctld.sock" });
  });

  it("never sends a saved token to another server", () => {
    expect(resolve({ url: "https://other:8443" })).toEqual({ url: "https://other:8443" });
    expect(resolveEndpoint({}, sources({}, false, { logins: {} }))).toEqual({ socketPath: "/home-dir/vmctld.sock" });
  });
});

describe("a refused certificate", () => {
  it("says which trust setting refused it and what to give instead", async () => {
    const { ConnectionError } = await import("@vmctl/client");
    const { trustHint } = await import("./output.js");
    const tls = new Error("unable to verify the first certificate");
    expect(trustHint(new ConnectionError({ url: "https://c:1", ca: PEM }, tls))).toMatch(/--ca \(or VMCTL_CA\) did not sign/);
    expect(trustHint(new ConnectionError({ url: "https://c:1", pinnedCert: PINNED }, tls))).toMatch(/not the certificate `vmctl login` pinned/);
    expect(trustHint(new ConnectionError({ url: "https://c:1" }, tls))).toMatch(/give its CA with --ca FILE \(or VMCTL_CA\)/);
    expect(trustHint(new ConnectionError({ url: "https://c:1" }, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })))).toBe("");
  });
});
