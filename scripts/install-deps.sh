#!/usr/bin/env bash
# Installs the Debian packages Sekisho needs, only when some are missing.
#   scripts/install-deps.sh run    build and run the server
#   scripts/install-deps.sh test   also everything the tests start for real
set -euo pipefail

run_packages=(libsqlite3-dev libargon2-dev libqrencode-dev)
test_packages=(oathtool zbar-tools librsvg2-bin python3-aiosmtpd chrony argon2 openssl
  chromium chromium-driver python3-selenium python3-pytest nginx postgresql prometheus fonts-noto-cjk
  python3-authlib python3-requests apache2 libapache2-mod-auth-openidc python3-fido2)

case "${1:-run}" in
  run) wanted=("${run_packages[@]}") ;;
  test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
