#!/usr/bin/env bash
# Installs the Debian packages that the local demo needs (run as root), and those named as
# arguments: .ci/run adds what only the tests need (chromium, postgresql).
# Already-installed packages are skipped, so a second run costs nothing.
# postgresql: the tests start a PostgreSQL server of their own per run (test/support/global-setup.ts);
# a system cluster that the install may start on 5432 is never used.
set -euo pipefail

packages=(samba-ad-dc samba-ad-provision ldb-tools ldap-utils krb5-user openssl "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Run this script as root (or: sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
