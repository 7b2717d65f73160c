// What the Debian test guest is made of: the packages debootstrap installs and the files and unit
// settings laid over them. Pure data, hashed into the cache key: change anything here and the next
// `vmctl guest build --debian` rebuilds. ../shared/REAL-GUEST.md measured why each setting is here.
import type { GuestFile } from "./init-files.js";

export const DEBIAN_SUITE = "bookworm";

/**
 * debootstrap --variant=minbase installs only what is Priority: required, plus these and their
 * Depends. It does not resolve virtual packages: python3-cffi-backend provides the
 * python3-cffi-backend-api-* that python3-cryptography (for cloud-init) needs, without which
 * cloud-init stays unconfigured.
 */
export const DEBIAN_PACKAGES: readonly string[] = [
  "systemd-sysv", "udev", "dbus", "libpam-systemd", "openssh-server", "cloud-init", "python3-cffi-backend",
  "qemu-guest-agent", "iproute2", "netbase", "linux-image-cloud-amd64", "sudo", "e2fsprogs", "kmod", "initramfs-tools",
];

/**
 * Booted with -kernel/-initrd, no bootloader. `rw` spares systemd-remount-fs a remount; `quiet`,
 * `systemd.show_status=false` keep the emulated UART from carrying hundreds of lines; under TCG
 * `mitigations=off` and `tsc=reliable` took seconds off the boot (REAL-GUEST.md, "tuned").
 */
export const DEBIAN_CMDLINE = "root=/dev/vda rw console=ttyS0 quiet mitigations=off tsc=reliable systemd.show_status=false";

/** Size of the ext4 filesystem (sparse raw, then qcow2: only what is used is stored). */
export const DEBIAN_IMAGE_SIZE_MIB = 2048;

/**
 * The only modules the initramfs needs to find /dev/vda (ext4 and crc32c are built into the cloud
 * kernel); MODULES=list skips the scan for the rest. The cloud kernel has no AHCI: a CD-ROM (the
 * cloud-init seed) goes on virtio-scsi, whose modules udev loads from the root filesystem.
 */
const INITRAMFS_MODULES = ["virtio_pci", "virtio_blk"];

/**
 * Units masked: no time servers (timesyncd) and no mirrors (apt timers) are ever asked from a test
 * network; the others cost boot seconds under TCG and do nothing useful in a throwaway VM.
 */
export const DEBIAN_MASKED_UNITS: readonly string[] = [
  "systemd-timesyncd.service", "apt-daily.timer", "apt-daily-upgrade.timer", "apt-daily.service", "apt-daily-upgrade.service",
  "fstrim.timer", "dpkg-db-backup.timer", "e2scrub_all.timer", "e2scrub_reap.service", "systemd-random-seed.service", "getty@tty1.service",
];

export const DEBIAN_ENABLED_UNITS: readonly string[] = ["systemd-networkd.service"];

const CLOUD_CFG = `# vmctl test guest: NoCloud (the seed ISO labelled cidata) or nothing; no network datasource is probed.
datasource_list: [ NoCloud, None ]
# The image has only C.UTF-8: any other locale made the locale module fail and cloud-init "degraded".
locale: C.UTF-8
grub_dpkg:
  enabled: false
# Host keys come from the image (it is a test guest); regenerating them took seconds under TCG.
# Kept, and none is missing (openssh-server made rsa, ecdsa and ed25519), so none is generated;
# "ssh_genkeytypes: []" said the same but fails cloud-init 22.4's schema ("should be non-empty").
ssh_deletekeys: false
ssh:
  emit_keys_to_console: false
no_ssh_fingerprints: true
# No package mirror is reachable from a test network: the image's empty sources.list stays so.
apt:
  preserve_sources_list: true
package_update: false
package_upgrade: false
`;

const NETWORK = `# Any virtio or emulated NIC gets DHCP, with or without cloud-init (whose own files come first, 10-*).
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
`;

export function debianFiles(hostname = "vmctl-debian"): GuestFile[] {
  return [
    { path: "etc/hostname", mode: 0o644, content: `${hostname}\n` },
    { path: "etc/hosts", mode: 0o644, content: `127.0.0.1 localhost\n127.0.1.1 ${hostname}\n::1 localhost ip6-localhost ip6-loopback\n` },
    // Pass 0: nothing to fsck on a filesystem made fresh for every overlay.
    { path: "etc/fstab", mode: 0o644, content: "/dev/vda / ext4 rw,noatime,errors=remount-ro 0 0\n" },
    // Empty: systemd makes a fresh id at first boot, so each instance has its own (and its own DHCP client id).
    { path: "etc/machine-id", mode: 0o444, content: "" },
    { path: "etc/default/locale", mode: 0o644, content: "LANG=C.UTF-8\n" },
    { path: "etc/systemd/network/90-vmctl-dhcp.network", mode: 0o644, content: NETWORK },
    { path: "etc/cloud/cloud.cfg.d/90-vmctl.cfg", mode: 0o644, content: CLOUD_CFG },
    { path: "etc/initramfs-tools/conf.d/vmctl.conf", mode: 0o644, content: "MODULES=list\nCOMPRESS=gzip\n" },
    { path: "etc/initramfs-tools/modules", mode: 0o644, content: `${INITRAMFS_MODULES.join("\n")}\n` },
    // debootstrap copies the build host's; the guest gets its resolver from DHCP or not at all.
    { path: "etc/resolv.conf", mode: 0o644, content: "" },
    // Nothing in the image points at a mirror; a guest that wants packages brings its own sources.
    { path: "etc/apt/sources.list", mode: 0o644, content: "# vmctl test guest: no package sources (no mirror is reachable from a test network)\n" },
  ];
}

/** Removed after configuring: caches and logs of the build, which would only fill the image. */
/** A path ending in "/*" is a folder that stays, emptied (apt expects its cache and list folders). */
export const DEBIAN_REMOVED: readonly string[] = [
  "var/cache/apt/*", "var/lib/apt/lists/*", "var/log/apt/*", "var/log/bootstrap.log", "var/log/dpkg.log",
  "var/lib/dbus/machine-id", "var/cache/debconf/templates.dat-old", "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*",
];
