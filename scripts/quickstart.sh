#!/usr/bin/env bash
# npm start: set everything up, start vmctld on the defaults and define the `demo` VM.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bash scripts/setup.sh

# vmctld's default home: /var/lib/vmctl for root (QEMU's user must pass through it; /root is 0700).
if [[ $(id -u) -eq 0 ]]; then default_home=/var/lib/vmctl; else default_home=${XDG_DATA_HOME:-$HOME/.local/share}/vmctl; fi
home=${VMCTL_HOME:-$default_home}
export VMCTL_HOME=$home
vmctl() { node "$repo/packages/cli/dist/main.js" "$@"; }
# Private when made; vmctld itself opens it to QEMU's user for traversal only (0710).
mkdir -p -m 700 "$home"
# A first vmctld.toml keeps the default network user-mode (QEMU's own NAT): a managed nat network
# makes a bridge and nftables rules, which build machines forbid outside a test's namespace. Write
# VMCTL_DEFAULT_NETWORK=nat (or edit [networks.default] later) for the bridge with DHCP.
if [[ ! -f $home/vmctld.toml ]]; then
  printf '# vmctld settings (docs/architecture.md, "Networks")\n[networks.default]\nkind = "%s"\n' "${VMCTL_DEFAULT_NETWORK:-user}" >"$home/vmctld.toml"
fi

# The demo guest goes into the local datastore, where definitions may reference it (and where QEMU,
# running as vmctl-qemu, can read it: the guest cache under /root is out of its reach).
images="$home/datastores/local/images/vmctl-guest"
guest=$(node packages/cli/dist/main.js guest build --json)
mkdir -p "$images"
for file in kernel initrd; do
  source=$(node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$guest" "$file")
  target="$images/$([[ $file == kernel ]] && echo vmlinuz || echo initrd.img)"
  cmp -s "$source" "$target" 2>/dev/null || cp "$source" "$target"
done

pidfile="$home/vmctld.pid"
if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "vmctld is already running (pid $(cat "$pidfile"))"
else
  # At the very first start vmctld makes the user "admin"; its password is shown here once.
  first_password=""
  if [[ ! -f $home/vmctld.db ]]; then
    first_password=$(openssl rand -base64 15 | tr -d '/+=' | cut -c1-16)
  fi
  # Its log stays root's alone (vmctld's home is traversable by QEMU's user).
  umask 077
  VMCTL_ADMIN_PASSWORD=$first_password nohup "$repo/bin/vmctld" --home "$home" >>"$home/vmctld.log" 2>&1 &
  for _ in $(seq 100); do
    [[ -S $home/vmctld.sock ]] && vmctl ls >/dev/null 2>&1 && break
    sleep 0.1
  done
  vmctl ls >/dev/null || { echo "vmctld did not start; see $home/vmctld.log" >&2; tail -5 "$home/vmctld.log" >&2; exit 1; }
  echo "vmctld started (pid $(cat "$pidfile")), log in $home/vmctld.log"
fi

vmctl show demo >/dev/null 2>&1 || vmctl create -f scripts/demo.toml >/dev/null

if [[ $(id -u) -eq 0 && -w /usr/local/bin ]]; then
  ln -sf "$repo/bin/vmctl" /usr/local/bin/vmctl
  ln -sf "$repo/bin/vmctld" /usr/local/bin/vmctld
  how="vmctl"
else
  how="$repo/bin/vmctl"
  echo "add vmctl to your PATH: export PATH=\"$repo/bin:\$PATH\""
fi

if [[ -n ${first_password:-} ]]; then
  cat <<MSG

The first user is "admin" with the password  $first_password
It is shown only now and stored only as a hash; change it with \`vmctl user passwd admin\`.
MSG
fi

cat <<MSG

vmctld is listening on $home/vmctld.sock (root, no login) and https://127.0.0.1:$(cat "$home/vmctld.port")
  (self-signed certificate, SHA-256 fingerprint $(cat "$home/tls-fingerprint"))
The VM "demo" is defined. Try:

  $how start demo && $how console demo     # Ctrl-] leaves the console
  $how ls
  $how stop demo                           # graceful: ACPI power button
  $how events --follow

MSG
