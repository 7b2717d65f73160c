// The guest's userspace configuration: busybox inittab, boot script, shell profile, acpid and DHCP hooks.
import { GUEST_PROMPT, GUEST_READY_LINE } from "./constants.js";

export interface GuestFile {
  path: string;
  mode: number;
  content: string;
}

/** insmod reads this list; it is written at build time from the resolved dependency order. */
export const MODULE_LIST_PATH = "lib/modules/load-order";

/**
 * Directories made at build time rather than by rcS: each mkdir in rcS is a fork+exec,
 * which is slow under TCG. acpid silently exits without /var/log and /etc/acpi.
 */
export const GUEST_DIRS: readonly string[] = [
  "dev", "proc", "sys", "tmp", "run", "mnt", "root", "etc/init.d", "etc/acpi/PWRF",
  "var/log", "var/run", "lib/modules", "usr/share/udhcpc",
];

// The shell on tty1 (the VGA screen, typed into through VNC) lets a test see whether keystrokes
// sent to the graphical console reach the guest.
const INITTAB = `# vmctl guest: no getty/login, the serial line and the screen are root shells that come back after exit.
::sysinit:/etc/init.d/rcS
ttyS0::respawn:-/bin/sh
tty1::respawn:-/bin/sh
::ctrlaltdel:/sbin/poweroff
# Leave an ext4 on /dev/vda clean when the VM powers off.
::shutdown:/bin/umount -a -r 2>/dev/null
`;

const RCS = `#!/bin/sh
# vmctl guest boot: runs once before the serial shell; nothing here may wait on hardware.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Device probing finishes inside insmod, so block and net devices exist once the loop is done.
while read -r m; do
  insmod "/lib/modules/$m.ko" || echo "vmctl-guest: cannot load module $m"
done < /${MODULE_LIST_PATH}
# acpid only sees input devices present at start, so it comes after the button module.
acpid
if [ -b /dev/vda ]; then
  if mount /dev/vda /mnt 2>/dev/null; then
    echo "vmctl-guest: /dev/vda mounted on /mnt"
  else
    echo "vmctl-guest: /dev/vda not mounted (no filesystem found)"
  fi
fi
if [ -b /dev/sr0 ]; then echo "vmctl-guest: cdrom /dev/sr0 present"; fi
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -f -i eth0 -s /usr/share/udhcpc/default.script >/var/log/udhcpc.log 2>&1 &
fi
echo "${GUEST_READY_LINE}"
`;

const PROFILE = `# vmctl guest login shell settings.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root
export PS1='${GUEST_PROMPT}'
cd /root
`;

// busybox acpid maps the power button's input event to "PWRF/00000080" and runs that file.
const POWER_BUTTON = `#!/bin/sh
exec /sbin/poweroff
`;

// busybox udhcpc only reports leases; applying them is left to this script.
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    ;;
esac
exit 0
`;

export function guestFiles(): GuestFile[] {
  return [
    { path: "etc/inittab", mode: 0o644, content: INITTAB },
    { path: "etc/init.d/rcS", mode: 0o755, content: RCS },
    { path: "etc/profile", mode: 0o644, content: PROFILE },
    { path: "etc/acpi/PWRF/00000080", mode: 0o755, content: POWER_BUTTON },
    { path: "usr/share/udhcpc/default.script", mode: 0o755, content: UDHCPC_SCRIPT },
    { path: "etc/passwd", mode: 0o644, content: "root:x:0:0:root:/root:/bin/sh\n" },
    { path: "etc/group", mode: 0o644, content: "root:x:0:\n" },
  ];
}
