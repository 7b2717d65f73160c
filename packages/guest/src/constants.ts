// Contract between the guest image and whoever drives it over the serial console.

/** Printed on ttyS0 right before the respawning root shell starts; safe to type after it. */
export const GUEST_READY_LINE = "vmctl-guest: ready";

/** Prompt of the guest's serial root shell. */
export const GUEST_PROMPT = "vmctl-guest# ";

/**
 * Kernel command line for the guest, tuned under TCG where every guest instruction is emulated:
 * `quiet` keeps the emulated UART from carrying ~300 boot lines, and `cryptomgr.notests` skips
 * the crypto self-tests (~0.35 s of CPU). Others tried (mitigations=off, nokaslr, edd=off,
 * rcupdate.rcu_expedited=1, 8250.nr_uarts=1, audit=0) made no difference beyond the noise.
 * `no_timer_check` skips the IO-APIC timer check, which a guest on a busy host under TCG can fail
 * ("IO-APIC + timer doesn't work!", a panic at 0.05 s: seen once in a CI run of three boots at once).
 */
export const GUEST_CMDLINE = "console=ttyS0 quiet cryptomgr.notests no_timer_check";

/** The BIOS-bootable raw disk of the same guest, beside vmlinuz and initrd.img in the guest dir. */
export const GUEST_DISK_FILE = "disk.img";
