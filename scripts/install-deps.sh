#!/usr/bin/env bash
# Installs the Debian packages airlb's lab, tests and benchmarks use. Idempotent: only missing
# packages are installed. Run as root on Debian 12 (or newer).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  iproute2 nftables iputils-arping iputils-ping ndisc6 tcpdump ethtool procps
  bird2 gobgpd frr keepalived
  python3 make g++
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Packaged daemons must not run on the host: airlb's lab and tests start their own inside namespaces.
for svc in bird frr gobgpd keepalived; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done
pkill -x bird 2>/dev/null || true
