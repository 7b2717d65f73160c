// How every QEMU is run: as the unprivileged QEMU user (when vmctld is root), inside QEMU's seccomp
// sandbox, with a clean environment: a guest that escapes into QEMU holds no root, no secrets of
// vmctld's environment, and cannot execute anything.

/** QEMU's seccomp filter: no obsolete syscalls, no set*uid, no fork/exec, no scheduler or cgroup changes. */
export const SANDBOX_OPTION = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** The user QEMU runs as; its supplementary groups (kvm) come from the group database. */
export interface QemuRunAs { user: string; uid: number; gid: number }

/** All of QEMU's environment: nothing of vmctld's (no VMCTL_*, no secrets, no proxies). */
export function qemuEnvironment(): Record<string, string> {
  return { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
}

/**
 * The command that runs `binary args` as `runAs`. Node's spawn uid/gid options drop every
 * supplementary group (libuv calls setgroups(0)), so QEMU would lose group kvm and /dev/kvm;
 * util-linux's setpriv sets the user's groups (--init-groups), then no_new_privs, an empty
 * capability bounding set, and execs QEMU in place (same pid). Without runAs (vmctld is not
 * root) QEMU runs as vmctld's own, already unprivileged, user.
 * Only a VM's QEMU outlives vmctld (`outlivesVmctld`); anything else (the KVM probe, qemu-img, a
 * clean-up) is killed when vmctld dies (--pdeathsig), or a vmctld killed during its start left a
 * probe QEMU running, and one killed during a clone a qemu-img still writing the copy.
 */
export function sandboxedCommand(binary: string, args: string[], runAs: QemuRunAs | null, options: { outlivesVmctld?: boolean } = {}): { command: string; args: string[] } {
  if (!runAs) return { command: binary, args };
  return {
    command: "setpriv",
    args: [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--init-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", ...(options.outlivesVmctld ? [] : ["--pdeathsig=KILL"]), "--", binary, ...args],
  };
}
