#!/usr/bin/env bash
# Installs the Debian packages the project needs, idempotently: Redis OSS 7.0 and Valkey 8.0
# (server, sentinel, tools) so the process driver runs the engine a stack names, and
# debootstrap for the engine images. On Debian bookworm Valkey comes from bookworm-backports,
# which is added as an apt source (pinned low by Debian, so nothing else is upgraded from it).
#   apt-packages.sh <package>...   (valkey-* packages are taken from backports where needed)
set -euo pipefail
# As root no sudo is needed (and a bare "-E" would be run as the command).
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -E)
missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || exit 0
. /etc/os-release
backports=""
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  backports=bookworm-backports
  src=/etc/apt/sources.list.d/rediskit-backports.sources
  # A host that already lists bookworm-backports keeps its own entry (two with different
  # Signed-By options would break apt-get update).
  if [ ! -f "$src" ] && ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "${mirror:-http://deb.debian.org/debian}" | "${sudo[@]}" tee "$src" >/dev/null
  fi
fi
if [ -z "$backports" ] && [ "${VERSION_CODENAME:-}" != bookworm ]; then
  for p in "${missing[@]}"; do
    case "$p" in valkey-*|redis-*)
      # The tests and the local stack run exactly Valkey 8.0 and Redis 7.0, the versions of
      # Debian bookworm (+ backports); another release ships others.
      echo "apt-packages: this is ${PRETTY_NAME:-an unknown system}; Valkey 8.0 and Redis 7.0 come from Debian bookworm (+ bookworm-backports). Run on bookworm, or in a debian:bookworm container." >&2
      exit 1 ;;
    esac
  done
fi
echo "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
plain=(); fromBackports=()
for p in "${missing[@]}"; do
  case "$p" in valkey-*) [ -n "$backports" ] && fromBackports+=("$p") || plain+=("$p") ;; *) plain+=("$p") ;; esac
done
export DEBIAN_FRONTEND=noninteractive
[ ${#plain[@]} -eq 0 ] || "${sudo[@]}" apt-get install -y -qq "${plain[@]}"
[ ${#fromBackports[@]} -eq 0 ] || "${sudo[@]}" apt-get install -y -qq -t "$backports" "${fromBackports[@]}"
