# Source this: start a throwaway PostgreSQL and Redis on free loopback ports in a temporary directory, export
# DATABASE_URL, REDIS_URL and DJANGO_MEDIA_ROOT for them, and stop both (and remove the directory) on exit.
# Used by scripts/test.sh (make test) and by the benchmarks in bench/.

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/dpa-portal-test.XXXXXX)
chmod 755 "$work"
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)

# initdb refuses to run as root: as root, the server runs as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"

services_stop() {
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap services_stop EXIT

as_pg "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PG_EXTRA_OPTIONS:-}" \
  start >/dev/null
redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save "" --appendonly no \
  --dir "$work" --pidfile "$work/redis.pid" --logfile "$work/redis.log"

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/dpa_portal"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
# Uploaded files (a district's breach letters, imports, exports) go to the throwaway directory, removed with it.
export DJANGO_MEDIA_ROOT="$work/media"
echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
