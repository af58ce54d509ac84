#!/usr/bin/env bash
# Installs the system packages certdesk's tests drive (Debian/Ubuntu): the README's set-up
# step, and what .ci/run calls on a fresh machine. Idempotent: installs only what is missing.
#   openssl               certificate checks in tests (`openssl verify`, `openssl pkcs12`)
#   postgresql            the scale-out store (npm run test:pg)
#   certbot, lego         real ACME clients (test/acme-*.e2e.test.ts)
#   chromium + CJK fonts  the console's browser tests (playwright-core drives /usr/bin/chromium)
#   pebble                optional: the ACME bench compares against it when present
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have openssl || need+=(openssl)
have pg_isready || need+=(postgresql)
have certbot || need+=(certbot)
have lego || need+=(lego)
have chromium || need+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
have pebble || [ -x /usr/bin/pebble ] || need+=(pebble)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup-system: everything is installed"
  exit 0
fi
echo "setup-system: installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
# pebble is optional (a benchmark comparison only): install it on its own so that its absence
# from a mirror does not stop the rest.
required=()
for p in "${need[@]}"; do [ "$p" = pebble ] || required+=("$p"); done
if [ ${#required[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${required[@]}"
fi
if printf '%s\n' "${need[@]}" | grep -qx pebble; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends pebble ||
    echo "setup-system: pebble not installed (optional: only the ACME bench's comparison needs it)"
fi
for t in openssl certbot lego chromium; do
  have "$t" || { echo "setup-system: $t is still missing after the install" >&2; exit 1; }
done
echo "setup-system: done"
