#!/bin/sh
# Release, update and roll back lsf-server on Kubernetes (deploy/k8s;
# docs/DEPLOY.md, "Kubernetes" and "Rollback"):
#   scripts/k8s-rollout.sh deploy OVERLAY             migrate, then apply the overlay and wait for the rollout
#   scripts/k8s-rollout.sh set-image OVERLAY IMAGE    migrate with IMAGE, then `kubectl set image` to it and wait
#   scripts/k8s-rollout.sh undo OVERLAY [REVISION]    `kubectl rollout undo` (to REVISION) and wait; no migration
#   scripts/k8s-rollout.sh history OVERLAY            `kubectl rollout history` of the Deployment
#   scripts/k8s-rollout.sh render OVERLAY [IMAGE]     offline: what deploy applies; with IMAGE, what
#                                                     set-image applies (the Deployment and the Job with IMAGE)
# OVERLAY is a kustomize directory (deploy/k8s/overlays/prod); the namespace
# and names come from what it renders, so the commands act on exactly what
# the overlay describes.
#
# The migration Job runs to completion before any pod changes: its previous
# run is deleted (a Job's pod template cannot change), every object but the
# server's is applied, the Job is waited for, and only then the Deployment
# changes (maxUnavailable 0: one new pod ready before each old one goes). A
# failed migration stops here, with the old pods still serving. Rolling back
# never runs migrations backwards: every migration keeps the previous release
# working on the new schema (expand now, contract one release later).
#
# Environment: KUBECTL (default kubectl; needs the kustomize built into
# kubectl >= 1.27), LSF_K8S_TIMEOUT (seconds for the Job and for the rollout,
# default 600).
set -eu

kubectl=${KUBECTL:-kubectl}
timeout=${LSF_K8S_TIMEOUT:-600}

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -ge 2 ] || usage
command=$1
overlay=$2
shift 2
[ -d "$overlay" ] || { echo "k8s-rollout: $overlay: no such overlay directory" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# render: the overlay's manifests in $tmp/all.yaml, its Deployment
# lsf-server in $tmp/server.yaml and its Job lsf-migrate in $tmp/job.yaml.
render() {
  $kubectl kustomize "$overlay" >"$tmp/all.yaml"
  pick Deployment lsf-server >"$tmp/server.yaml"
  pick Job lsf-migrate >"$tmp/job.yaml"
  if [ ! -s "$tmp/server.yaml" ] || [ ! -s "$tmp/job.yaml" ]; then
    echo "k8s-rollout: $overlay renders no Deployment lsf-server or no Job lsf-migrate" >&2
    exit 1
  fi
}

# pick KIND NAME: the one document of $tmp/all.yaml with that kind and
# metadata.name (kustomize writes `kind:` and `metadata:` at column 0).
pick() {
  awk -v kind="$1" -v name="$2" '
    function flush() { if (k == kind && n == name) printf "%s", doc; doc = k = n = top = "" }
    /^---$/ { flush(); next }
    { doc = doc $0 "\n" }
    /^[a-zA-Z]/ { top = $1 }
    /^kind: / { k = $2 }
    top == "metadata:" && /^  name: / { n = $2 }
    END { flush() }' "$tmp/all.yaml"
}

# with_image IMAGE: server.yaml and job.yaml with lsf-server's image set to
# IMAGE (kubectl set image --local: no cluster needed).
with_image() {
  for f in server job; do
    mv "$tmp/$f.yaml" "$tmp/$f.in.yaml"
    [ $f = server ] && container=lsf-server || container=migrate
    $kubectl set image --local -f "$tmp/$f.in.yaml" "$container=$1" -o yaml >"$tmp/$f.yaml"
  done
}

# migrate: apply every object of the overlay but the server's and the
# Job's, then run the Job of $tmp/job.yaml to completion; exit 1, the
# Deployment untouched, if it fails.
migrate() {
  $kubectl apply -f "$tmp/all.yaml" -l "app.kubernetes.io/component notin (server,migrate)"
  $kubectl delete -f "$tmp/job.yaml" --ignore-not-found --wait=true
  $kubectl apply -f "$tmp/job.yaml"
  deadline=$(($(date +%s) + timeout))
  state=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    state=$($kubectl get -f "$tmp/job.yaml" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')
    case " $state " in
      *" Complete "*) echo "k8s-rollout: migrations done"; return 0 ;;
      *" Failed "*) break ;;
    esac
    sleep 5
  done
  echo "k8s-rollout: the migration Job did not complete (${state:-still running after ${timeout} s}); the Deployment is unchanged. Its log:" >&2
  ns=$($kubectl get -f "$tmp/job.yaml" -o 'jsonpath={.metadata.namespace}')
  $kubectl -n "$ns" logs job/lsf-migrate --tail=50 >&2 || true
  exit 1
}

wait_rollout() {
  $kubectl rollout status -f "$tmp/server.yaml" --timeout="${timeout}s"
}

case "$command" in
  render)
    render
    if [ $# -ge 1 ]; then
      with_image "$1"
      cat "$tmp/server.yaml"
      echo ---
      cat "$tmp/job.yaml"
    else
      cat "$tmp/all.yaml"
    fi
    ;;
  deploy)
    render
    migrate
    $kubectl apply -f "$tmp/all.yaml"
    wait_rollout
    ;;
  set-image)
    [ $# -ge 1 ] || usage
    render
    with_image "$1"
    migrate
    $kubectl annotate -f "$tmp/server.yaml" --overwrite "kubernetes.io/change-cause=set image $1"
    $kubectl set image -f "$tmp/server.yaml" "lsf-server=$1"
    wait_rollout
    echo "k8s-rollout: now on $1; set it in $overlay (images: newTag) as well, or the next deploy goes back"
    ;;
  undo)
    render
    if [ $# -ge 1 ]; then
      $kubectl rollout undo -f "$tmp/server.yaml" --to-revision="$1"
    else
      $kubectl rollout undo -f "$tmp/server.yaml"
    fi
    wait_rollout
    $kubectl rollout history -f "$tmp/server.yaml"
    ;;
  history)
    render
    $kubectl rollout history -f "$tmp/server.yaml"
    ;;
  *) usage ;;
esac
