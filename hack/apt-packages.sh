#!/usr/bin/env bash
# Installs the Debian packages the project needs, idempotently: Redis OSS 7.0 and Valkey 8.0
# (server, sentinel, tools) so the process driver runs the engine a stack names, and
# debootstrap for the engine images. On Debian bookworm Valkey comes from bookworm-backports,
# which is added as an apt source (pinned low by Debian, so nothing else is upgraded from it).
#   apt-packages.sh <package>...   (valkey-* packages are taken from backports where needed)
set -euo pipefail
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || exit 0
. /etc/os-release
backports=""
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  backports=bookworm-backports
  src=/etc/apt/sources.list.d/rediskit-backports.sources
  if [ ! -f "$src" ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "${mirror:-http://deb.debian.org/debian}" | $sudo tee "$src" >/dev/null
  fi
fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
plain=(); fromBackports=()
for p in "${missing[@]}"; do
  case "$p" in valkey-*) [ -n "$backports" ] && fromBackports+=("$p") || plain+=("$p") ;; *) plain+=("$p") ;; esac
done
export DEBIAN_FRONTEND=noninteractive
[ ${#plain[@]} -eq 0 ] || $sudo -E apt-get install -y -qq "${plain[@]}"
[ ${#fromBackports[@]} -eq 0 ] || $sudo -E apt-get install -y -qq -t "$backports" "${fromBackports[@]}"
