#!/usr/bin/env bash
# Installs the independent peers the tests check our bytes against (Debian packages):
#   zbar-tools       zbarimg decodes the barcode images the twin decodes
#   tshark           dissects the pcapng captures
#   pcscd            the PC/SC daemon the UIM twin joins through vsmartcard's vpcd driver
#   vsmartcard-vpcd  that driver;  vsmartcard-vpicc + python3-pycryptodome: vicc, an independent virtual card
#   pcsc-tools       pcsc_scan;  opensc: opensc-tool, independent PC/SC clients
#   libpcsclite-dev  headers for the PC/SC binding, when it has to build from source
#   openssl          verifies signatures made on the UIM twin; makes test certificates
#   gammu            an independent AT client that probes the phone twin as it probes a real modem
#   openobex-apps    obex_tcp, an independent OBEX peer (run in a private network namespace: iproute2)
#   strace           watches the group commit's fsync come before each acknowledgement
# Runs apt-get as root (through sudo when needed). Tests that need a missing peer report themselves skipped.
set -euo pipefail
packages=(openssl zbar-tools tshark pcscd vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome pcsc-tools opensc libpcsclite-dev gammu openobex-apps iproute2 strace)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-oracles: run as root to install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
