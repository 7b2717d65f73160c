#!/usr/bin/env bash
# Installs everything vmctl needs: Debian packages (as root), npm packages, the build and the demo
# guest. Idempotent, and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# dnsmasq-base and nftables: the DHCP/DNS and the masquerade of managed networks; iproute2 their bridges and taps.
# genisoimage: the cloud-init seed ISO vmctld writes for a VM with [cloud_init].
APT_PACKAGES=(qemu-system-x86 qemu-utils busybox-static cpio openssl syslinux syslinux-common mtools dosfstools dnsmasq-base nftables iproute2 genisoimage etcd-server)
# The browser tests drive Debian's Chromium, the completion tests zsh (npm test sets VMCTL_SETUP_TESTS=1).
[[ ${VMCTL_SETUP_TESTS:-} == 1 ]] && APT_PACKAGES+=(chromium zsh)
# The Debian test guest (VMCTL_SETUP_DEBIAN=1): debootstrap and mkfs.ext4 -d build it, the slow tier
# logs in to it with ssh through a seed ISO.
[[ ${VMCTL_SETUP_DEBIAN:-} == 1 ]] && APT_PACKAGES+=(debootstrap e2fsprogs genisoimage openssh-client)
# bench/memory reads what vmctld holds after calling malloc_trim in it through gdb (VMCTL_SETUP_BENCH=1).
[[ ${VMCTL_SETUP_BENCH:-} == 1 ]] && APT_PACKAGES+=(gdb)
say() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The demo guest's kernel comes from apt-get download, which needs the package lists.
kernel_known() { apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; }
if ((${#missing[@]})) || ! kernel_known; then
  if [[ $(id -u) -ne 0 ]]; then
    say "missing Debian packages; run this as root, then run the command again:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]:-}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]:-(package lists only)}"
  apt-get update -qq
  ((${#missing[@]})) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Every QEMU runs as this unprivileged system user (no login, no home), never as root; it joins
# group kvm (when the host has one) so that it can open /dev/kvm.
QEMU_USER=vmctl-qemu
if [[ $(id -u) -eq 0 ]]; then
  if ! id -u "$QEMU_USER" >/dev/null 2>&1; then
    say "creating the system user $QEMU_USER that runs QEMU"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$QEMU_USER"
  fi
  if getent group kvm >/dev/null && ! id -nG "$QEMU_USER" | tr ' ' '\n' | grep -qx kvm; then
    usermod --append --groups kvm "$QEMU_USER"
  fi
elif ! id -u "$QEMU_USER" >/dev/null 2>&1; then
  say "note: a vmctld run as root needs the system user $QEMU_USER; run this set-up as root once to create it"
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.vmctl-lock-hash
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_hash" ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >"$stamp"
fi

say "building (tsc -b, incremental; then the CLI's bundle)"
npx tsc -b
node packages/cli/scripts/bundle.mjs
chmod +x packages/daemon/dist/main.js packages/cli/dist/main.js packages/cli/dist/main.cjs

# The Host Client bundles @vmctl/client/browser and the api-types it imports: their sources count too.
web_hash=$( (cat package-lock.json; find packages/web/src packages/web/index.html packages/web/vite.config.ts packages/client/src packages/api-types/src -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)
web_stamp=packages/web/dist/.vmctl-build-hash
if [[ ! -f $web_stamp || $(cat "$web_stamp") != "$web_hash" ]]; then
  say "building the Host Client (vite)"
  (cd packages/web && npx vite build --logLevel warn)
  echo "$web_hash" >"$web_stamp"
fi

say "building the demo guest (cached)"
node packages/cli/dist/main.js guest build >&2

if [[ ${VMCTL_SETUP_DEBIAN:-} == 1 ]]; then
  say "building the Debian 12 test guest (cached; a few minutes the first time)"
  node packages/cli/dist/main.js guest build --debian >&2
fi
