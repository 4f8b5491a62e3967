#!/bin/sh
# Entry point of the nginx container of deploy/compose.yaml: deploy/nginx's
# configs and njs script, mounted read-only at /etc/lsf-nginx, are linked unchanged into a
# prefix on a tmpfs, next to the two local/ files made from LSF_UPSTREAMS
# ("host:port ...") and LSF_LISTEN; nginx's logs go to the container's
# stdout and stderr. nginx runs in the foreground as PID 1, so
# `kill -HUP 1` in the container reloads it (and resolves lsf-N again).
set -eu
prefix=/run/lsf-nginx
mkdir -p "$prefix/conf/local" "$prefix/logs"
for f in /etc/lsf-nginx/*.conf /etc/lsf-nginx/*.js; do
  ln -sf "$f" "$prefix/conf/"
done
: > "$prefix/conf/local/app-servers.conf"
for server in $LSF_UPSTREAMS; do
  echo "server $server max_fails=1 fail_timeout=2s;" >> "$prefix/conf/local/app-servers.conf"
done
echo "listen ${LSF_LISTEN:-8080};" > "$prefix/conf/local/listen.conf"
ln -sf /dev/stdout "$prefix/logs/access.log"
ln -sf /dev/stderr "$prefix/logs/error.log"
exec nginx -p "$prefix/" -c "$prefix/conf/lb.conf" -g 'daemon off;'
