import { describe, expect, it } from "vitest";
import { mirrorFromSources } from "./apt-mirror.js";
import { DEBIAN_PACKAGES } from "./debian-recipe.js";
import { debianCacheKey } from "./debian-build.js";

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

describe("mirrorFromSources", () => {
  it("reads the deb822 stanza that serves the suite", () => {
    expect(mirrorFromSources(DEB822, "bookworm")).toBe("http://deb.debian.org/debian");
    expect(mirrorFromSources(DEB822, "bookworm-security")).toBe("http://deb.debian.org/debian-security");
    expect(mirrorFromSources(DEB822, "trixie")).toBeUndefined();
  });
  it("skips deb-src and disabled stanzas", () => {
    const text = `Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\nEnabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n\n${DEB822}`;
    expect(mirrorFromSources(text, "bookworm")).toBe("http://deb.debian.org/debian");
  });
  it("reads the one-line format, with options", () => {
    expect(mirrorFromSources("# x\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.local/debian bookworm main\n", "bookworm")).toBe("http://mirror.local/debian");
  });
});

describe("debianCacheKey", () => {
  it("is stable for the same recipe and changes with the mirror", () => {
    expect(debianCacheKey("http://a/debian")).toBe(debianCacheKey("http://a/debian"));
    expect(debianCacheKey("http://a/debian")).not.toBe(debianCacheKey("http://b/debian"));
  });
  it("carries the package list the feasibility build needed", () => {
    expect(DEBIAN_PACKAGES).toEqual(expect.arrayContaining(["python3-cffi-backend", "cloud-init", "openssh-server", "linux-image-cloud-amd64"]));
  });
});
