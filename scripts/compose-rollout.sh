#!/bin/sh
# Rolling update, or rollback, of the lsf-server instances of
# deploy/compose.yaml to another image tag, one instance at a time, with no
# failed request:
#   scripts/compose-rollout.sh IMAGE [SERVICE...]     e.g. lsf-server:0.1.1; back: lsf-server:0.1.0
#   scripts/compose-rollout.sh --reload-nginx         only make nginx resolve lsf-N again
# For each service (default lsf-1 lsf-2 lsf-3): stop it (SIGTERM: it answers
# with Connection: close for SHUTDOWN_GRACE_MS, then drains and exits 0),
# create it again from IMAGE, wait until its healthcheck passes, reload nginx
# (it resolves lsf-N only when it loads its config, and the new container has
# a new address), and wait past nginx's fail_timeout (2 s) before the next.
# The whole stack keeps its volumes; only the instance containers change.
# Environment:
#   LSF_COMPOSE_ENGINE   podman (podman-compose, default) or docker (docker compose)
#   LSF_COMPOSE_PROJECT  the project name (default lsf, as `-p lsf`)
#   LSF_COMPOSE_FILES    compose files, space-separated (default deploy/compose.yaml)
# The files must name the image as ${LSF_IMAGE}, as compose.yaml does.
set -eu
cd "$(dirname "$0")/.."

engine=${LSF_COMPOSE_ENGINE:-podman}
project=${LSF_COMPOSE_PROJECT:-lsf}
files=${LSF_COMPOSE_FILES:-deploy/compose.yaml}
fargs=""
for f in $files; do fargs="$fargs -f $f"; done

compose() { # compose ARGS...: the engine's compose command for this project
  # shellcheck disable=SC2086 # fargs is a list of words
  case "$engine" in
    podman) podman-compose -p "$project" $fargs "$@" ;;
    docker) docker compose -p "$project" $fargs "$@" ;;
    *) echo "compose-rollout: LSF_COMPOSE_ENGINE must be podman or docker" >&2; exit 2 ;;
  esac
}

container() { # container SERVICE: its container's name
  # shellcheck disable=SC2086 # fargs is a list of words
  case "$engine" in
    podman) echo "${project}_$1_1" ;;
    docker) docker compose -p "$project" $fargs ps -q "$1" ;;
  esac
}

reload_nginx() {
  case "$engine" in
    podman) podman kill --signal HUP "$(container nginx)" >/dev/null ;;
    docker) compose kill -s HUP nginx >/dev/null ;;
  esac
}

wait_healthy() { # wait_healthy SERVICE: until its healthcheck passes, at most 180 s
  deadline=$(($(date +%s) + 180))
  while :; do
    case "$engine" in
      # podman runs healthchecks only on request when there is no systemd
      podman) podman healthcheck run "$(container "$1")" >/dev/null 2>&1 && return 0 ;;
      docker) [ "$(docker inspect -f '{{.State.Health.Status}}' "$(container "$1")" 2>/dev/null)" = healthy ] && return 0 ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "compose-rollout: $1 not healthy within 180 s" >&2
      return 1
    fi
    sleep 1
  done
}

if [ "${1:-}" = --reload-nginx ]; then
  reload_nginx
  exit 0
fi
if [ $# -lt 1 ]; then
  echo "usage: scripts/compose-rollout.sh IMAGE [SERVICE...] | --reload-nginx" >&2
  exit 2
fi
image=$1
shift
[ $# -gt 0 ] || set -- lsf-1 lsf-2 lsf-3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for service in "$@"; do
  start=$(date +%s)
  case "$engine" in
    podman)
      # podman-compose 1.0.3 neither recreates a changed service nor has rm:
      # stop and remove the container, then `up` creates it from LSF_IMAGE
      # (it also tries the dependencies, which are running: no change).
      compose stop -t 30 "$service" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
      podman rm "$(container "$service")" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
      LSF_IMAGE=$image compose up -d --no-deps "$service" >"$log" 2>&1 || true
      podman container exists "$(container "$service")" || { cat "$log" >&2; exit 1; }
      ;;
    docker)
      LSF_IMAGE=$image compose up -d --no-deps "$service"
      ;;
  esac
  wait_healthy "$service"
  reload_nginx
  echo "compose-rollout: $service now runs $image ($(($(date +%s) - start)) s)"
  sleep 3 # past nginx's fail_timeout (2 s) before the next instance goes
done
