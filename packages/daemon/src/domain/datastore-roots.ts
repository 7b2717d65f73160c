// Which directories may be a datastore root. Every user with datastore.read can download what a
// datastore holds, so a root is never a system directory, a home directory or its dot-folders,
// vmctld's own home (database, keys), nor a directory holding one of those. Compared on real paths.
import { readFileSync, realpathSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { lexists, within } from "./datastores.js";

/** Refused with everything below them. */
const SYSTEM_TREES = [
  "/etc", "/usr", "/boot", "/proc", "/sys", "/dev", "/run", "/bin", "/sbin",
  // /var/backups holds shadow.bak and the like.
  "/var/log", "/var/run", "/var/spool", "/var/cache", "/var/mail", "/var/backups", "/var/opt", "/var/local", "/var/crash",
];
/** Refused themselves (they hold everyone's files), but a folder of its own below them is fine. */
const SHARED_DIRS = ["/", "/tmp", "/var/tmp", "/var", "/home", "/var/lib"];
/** /var/lib holds every service's state; only a folder of vmctl's own may be a datastore there. */
const VAR_LIB = "/var/lib";
const VMCTL_FOLDER = /^vmctl/;

export interface RootRules {
  /** vmctld's home: refused, except what lies below its datastores/ folder. */
  home: string;
  /** Home directories of the host's users; /root and those of /etc/passwd when omitted (any /home/<x> counts too). */
  homes?: readonly string[];
}

/**
 * Why `candidate` (an absolute path, existing or not) cannot be a datastore root, or undefined when
 * it can. The reason reads after the path: `"/etc" ${reason}`.
 */
export function rootProblem(candidate: string, rules: RootRules): string | undefined {
  const real = realPath(candidate);
  const home = realPath(rules.home);
  const shown = real === resolve(candidate) ? "" : ` (really "${real}")`;
  // vmctld's own datastores (the default "local" among them) live in its home, under datastores/.
  const own = join(home, "datastores");
  if (within(own, real) && real !== own) return undefined;
  const forms = (dir: string) => [...new Set([dir, realPath(dir)])];
  for (const tree of [...SYSTEM_TREES, ...libDirs()]) {
    for (const dir of forms(tree)) {
      if (within(dir, real)) return `${shown} is ${real === dir ? "" : "inside "}the system directory "${tree}"`;
      if (within(real, dir)) return `${shown} holds the system directory "${tree}"`;
    }
  }
  for (const dir of SHARED_DIRS) {
    if (forms(dir).includes(real)) return `${shown} is the shared directory "${dir}"; use a folder of its own below it`;
  }
  if (within(home, real) || within(real, home)) return `${shown} overlaps vmctld's home "${home}", which holds its database and keys (only folders below "${own}" may be datastores)`;
  for (const dir of forms(VAR_LIB)) {
    if (within(dir, real) && !VMCTL_FOLDER.test(relative(dir, real).split(sep)[0]!)) return `${shown} is inside "${VAR_LIB}", which holds the state of the host's services (only a vmctl folder there, e.g. "/var/lib/vmctl-store", may be a datastore)`;
  }
  // Any /home/<x> is someone's home, whether /etc/passwd names it or not.
  const underHome = relative("/home", real).split(sep)[0]!;
  const homes = [...(rules.homes ?? hostHomes()), ...(within("/home", real) && real !== "/home" ? [join("/home", underHome)] : [])];
  for (const userHome of homes) {
    for (const dir of forms(userHome)) {
      if (real === dir) return `${shown} is the home directory "${userHome}"; use a folder of its own in it, e.g. "${join(userHome, "vms")}"`;
      const first = relative(dir, real).split(sep)[0]!;
      if (within(dir, real) && first.startsWith(".")) return `${shown} is inside "${join(userHome, first)}", a dot-folder of the home directory "${userHome}" (keys and settings)`;
      if (within(real, dir)) return `${shown} holds the home directory "${userHome}"`;
    }
  }
  return undefined;
}

/** The path with symlinks resolved as far as it exists; the missing rest appended as given. */
export function realPath(path: string): string {
  const full = resolve(path);
  let existing = full;
  while (!lexists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    return join(realpathSync(existing), relative(existing, full));
  } catch {
    // A dangling symlink on the way: it names no place yet, so compare the path as given.
    return full;
  }
}


/** /lib, /lib32, /lib64, /libx32: whichever this host has. */
function libDirs(): string[] {
  return ["/lib", "/lib32", "/lib64", "/libx32"].filter((dir) => dir === "/lib" || lexists(dir));
}

/** /root and each user's home of /etc/passwd that is not "/" and exists (placeholders such as /nonexistent do not). */
export function hostHomes(): string[] {
  const homes = new Set(["/root"]);
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const home = line.split(":")[5];
      if (home && home.startsWith("/") && home !== "/" && lexists(home)) homes.add(resolve(home));
    }
  } catch {
    // No /etc/passwd (a container without one): /root and /home/<x> still count.
  }
  return [...homes];
}
