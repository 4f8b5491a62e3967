#!/bin/sh
# Install everything LSF Tasks needs to build, run and test, on Debian 12.
# The one place for apt and npm steps. Idempotent, and quick when nothing is
# missing: it only asks apt for packages that are not installed yet, and only
# runs npm when a lockfile is newer than its node_modules.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="
  build-essential pkg-config clang libclang-rt-14-dev
  libh2o-evloop-dev libjansson-dev libsqlite3-dev libsodium-dev libjwt-dev
  libcurl4-openssl-dev libcmocka-dev libcrypt-dev libssl-dev zlib1g-dev
  libpq-dev libhiredis-dev postgresql redis-server
  sqlite3 openssl curl ca-certificates
  nodejs npm
  python3 python3-aiosmtpd libfaketime
  wrk nginx-light libnginx-mod-http-js libmicrohttpd-dev libevent-dev
  chromium prometheus
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

# nodejs/npm may come from elsewhere (nodesource): accept any node >= 18 on PATH.
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ]; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo "$missing" | xargs)

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: $missing (run as root, or install them)" >&2
    exit 1
  fi
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

# npm packages for the test and tooling scripts, from the committed lockfile.
for dir in tests tests/e2e web; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.lsf-installed"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
done
