#!/usr/bin/env bash
# deps.sh: installs the Debian packages the build needs, only when pkg-config cannot find them.
set -euo pipefail
need=(libfyaml libxxhash cmocka)
missing=0
command -v pkg-config >/dev/null 2>&1 || missing=1
command -v cc >/dev/null 2>&1 || missing=1
if [ "$missing" = 0 ]; then
    pkg-config --exists "${need[@]}" || missing=1
fi
[ "$missing" = 0 ] && exit 0

packages=(build-essential pkg-config libfyaml-dev libcmocka-dev libxxhash-dev)
echo "deps: installing ${packages[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "deps: need root (or sudo) to install: ${packages[*]}" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
pkg-config --exists "${need[@]}" || { echo "deps: pkg-config still cannot find ${need[*]}" >&2; exit 1; }
