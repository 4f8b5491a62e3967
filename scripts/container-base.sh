#!/bin/sh
# Make the Debian 12 base images that deploy/Containerfile and the test images
# name (docker.io/library/debian:12 and :12-slim) when podman does not have
# them, from Debian's packages: mmdebstrap writes a root filesystem, podman
# imports it. Nothing is pulled from a registry. Once made, the images stay in
# podman's storage, so later builds start at once and offline.
#
# One root filesystem serves both names: it is made like debian:12-slim (no
# manual pages, docs other than copyright files, or translations), which is
# all a build stage needs as well. It carries this machine's apt settings for
# an unusual mirror (a proxy, no Valid-Until check) so apt works inside it.
# Usage: scripts/container-base.sh [--force]   (env: CONTAINERS_CONF as make sets it)
set -eu

SLIM=docker.io/library/debian:12-slim
FULL=docker.io/library/debian:12
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "${1:-}" != "--force" ] && podman image exists "$SLIM" && podman image exists "$FULL"; then
  exit 0
fi

echo "container-base: making $SLIM and $FULL with mmdebstrap (a minute or two)"
begin=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set -- --quiet --variant=apt --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
# apt settings of this machine that the image needs to reach the same mirror
for key in Acquire::http::Proxy Acquire::https::Proxy Acquire::Check-Valid-Until; do
  value=$(apt-config dump "$key" | sed -n "s|^$key \"\(.*\)\";\$|\1|p" | head -n 1)
  [ -z "$value" ] || set -- "$@" "--aptopt=$key \"$value\";"
done
mmdebstrap "$@" bookworm "$tmp/rootfs.tar" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"
podman import --quiet --change "ENV PATH=$PATH_ENV" --change 'CMD ["bash"]' "$tmp/rootfs.tar" "$SLIM" >/dev/null
podman tag "$SLIM" "$FULL"
echo "container-base: done in $(($(date +%s) - begin)) s"
