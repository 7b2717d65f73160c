// The Create VM wizard's first-boot fields as the definition's [cloud_init] table, and a key said
// in words for its review.

export interface CloudInit { hostname: string; user: string; key: string; passwordHash: string; sudo: boolean }

/** The definition's [cloud_init] table from the wizard's fields; undefined when all are empty (no seed). */
export function cloudInitTable(c: CloudInit): Record<string, unknown> | undefined {
  const hostname = c.hostname.trim();
  const user = c.user.trim();
  // One key a line: a pasted .pub file, or several.
  const keys = c.key.split("\n").map((k) => k.trim()).filter(Boolean);
  const hash = c.passwordHash.trim();
  if (!hostname && !user && keys.length === 0 && !hash) return undefined;
  return {
    ...(hostname ? { hostname } : {}),
    // Without a user name the keys go to the image's default user (debian on Debian images).
    ...(user || hash ? { users: [{ name: user, ...(keys.length ? { ssh_authorized_keys: keys } : {}), ...(hash ? { password_hash: hash } : {}), sudo: c.sudo }] } : keys.length ? { ssh_authorized_keys: keys } : {}),
  };
}

/** "ssh-ed25519 AAAA…xyz me@laptop" → "ssh-ed25519 key me@laptop": a key said without its bytes. */
export const keyInWords = (key: string) => { const [type, , ...comment] = key.trim().split(/\s+/); return `${type ?? "a"} key${comment.length ? ` "${comment.join(" ")}"` : ""}`; };

