#!/bin/sh
# Make the secrets deploy/k8s reads, with random values where we can choose
# them, so none is ever in git (deploy/k8s/base/secret.template.yaml shows
# their shape):
#   scripts/k8s-secrets.sh kubectl NAMESPACE          prod: lsf-secrets, the databases from the environment
#   scripts/k8s-secrets.sh kubectl NAMESPACE --dev    dev overlay: also lsf-postgres, URLs of its StatefulSets
#   scripts/k8s-secrets.sh podman [PREFIX]            local overlay (podman kube play): podman secrets
#                                                     PREFIXlsf-secrets and PREFIXlsf-postgres
# lsf-secrets holds lsf-server's ENV_FILE: a random JWT_SECRET, plus
# DATABASE_URL, DATABASE_REPLICA_URLS, REDIS_URL, SMTP_URL, SMTP_USER and
# SMTP_PASS taken from this script's environment when set. For prod
# (kubectl without --dev) DATABASE_URL and REDIS_URL must be set: the
# databases are outside the cluster. --dev and podman make a random
# PostgreSQL password (lsf-postgres, key "password") and point the URLs at
# the overlay's own PostgreSQL and Redis.
# An existing secret is left alone (kubectl refuses to create it again;
# podman mode skips it): delete it first to make a new one. PREFIX is the
# kustomize namePrefix of the pods (the test uses one), which also prefixes
# the names podman gives them (PREFIXlsf-postgres-pod-0).
# podman 4.3's kube play reads a secret's variables from a JSON object of
# base64 values (not from a Secret manifest, which it stores as YAML and
# then fails to read), so that is what podman mode stores.
set -eu

usage() {
  echo "usage: scripts/k8s-secrets.sh kubectl NAMESPACE [--dev] | podman [PREFIX]" >&2
  exit 2
}
random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077

# env_file PG_HOST REDIS_HOST PG_PASSWORD: lsf-server's ENV_FILE on stdout;
# hosts empty: the URLs come from the environment.
env_file() {
  echo "JWT_SECRET=$(random)"
  if [ -n "$1" ]; then
    echo "DATABASE_URL=postgres://lsf:$3@$1:5432/lsf"
    echo "REDIS_URL=redis://$2:6379/0"
  else
    echo "DATABASE_URL=$DATABASE_URL"
    echo "REDIS_URL=$REDIS_URL"
  fi
  for name in DATABASE_REPLICA_URLS SMTP_URL SMTP_USER SMTP_PASS; do
    eval "value=\${$name:-}"
    # shellcheck disable=SC2154 # set by the eval
    [ -z "$value" ] || echo "$name=$value"
  done
}

case "${1:-}" in
  kubectl)
    [ $# -ge 2 ] || usage
    ns=$2
    kubectl=${KUBECTL:-kubectl}
    if [ "${3:-}" = --dev ]; then
      password=$(random)
      printf '%s' "$password" >"$tmp/password"
      $kubectl -n "$ns" create secret generic lsf-postgres --from-file=password="$tmp/password"
      env_file lsf-postgres lsf-redis "$password" >"$tmp/lsf.env"
    else
      if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
        echo "k8s-secrets: set DATABASE_URL and REDIS_URL (the production databases are outside the cluster)" >&2
        exit 2
      fi
      env_file "" "" "" >"$tmp/lsf.env"
    fi
    $kubectl -n "$ns" create secret generic lsf-secrets --from-file=lsf.env="$tmp/lsf.env"
    ;;
  podman)
    prefix=${2:-}
    if podman secret inspect "${prefix}lsf-postgres" >/dev/null 2>&1; then
      echo "k8s-secrets: podman secret ${prefix}lsf-postgres exists, kept (and so is ${prefix}lsf-secrets)"
      exit 0
    fi
    podman secret rm "${prefix}lsf-secrets" >/dev/null 2>&1 || true
    password=$(random)
    env_file "${prefix}lsf-postgres-pod-0" "${prefix}lsf-redis-pod-0" "$password" >"$tmp/lsf.env"
    json="{\"password\":\"$(b64 "$password")\"}"
    printf '%s' "$json" | podman secret create "${prefix}lsf-postgres" - >/dev/null
    json="{"
    sep=""
    while IFS= read -r line; do
      json="$json$sep\"${line%%=*}\":\"$(b64 "${line#*=}")\""
      sep=","
    done <"$tmp/lsf.env"
    printf '%s}' "$json" | podman secret create "${prefix}lsf-secrets" - >/dev/null
    echo "k8s-secrets: podman secrets ${prefix}lsf-secrets and ${prefix}lsf-postgres created"
    ;;
  *) usage ;;
esac
