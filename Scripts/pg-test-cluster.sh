#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for the tests (`make test` runs it around `swift test`).
#
#   Scripts/pg-test-cluster.sh start   initdb in a new temporary directory, start on a free 127.0.0.1 port, print the URL
#   Scripts/pg-test-cluster.sh url     print the running cluster's URL
#   Scripts/pg-test-cluster.sh stop    stop it and remove the directory
#
# Trust authentication, but only over 127.0.0.1 and a socket inside the private directory. The state file
# (default .build/pg-test-cluster, override with PG_TEST_CLUSTER_STATE) names the directory, so each
# checkout has its own cluster; `start` first stops one left by an interrupted run. initdb refuses to run as root: as root the server runs as `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${PG_TEST_CLUSTER_STATE:-$PWD/.build/pg-test-cluster}

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

bindir() {
    local d
    for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
        [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
    done
    die "no PostgreSQL server binaries (initdb, pg_ctl); install Debian's postgresql package (make deps)"
}

# Runs a server binary as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
    # A cluster left by an interrupted run of this checkout goes first.
    [ -f "$STATE" ] && stop
    local bin dir port url attempt
    bin=$(bindir)
    if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (created by the postgresql package)"; fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/medinfer-pg.XXXXXX")
    mkdir -p "$dir/socket" "$(dirname "$STATE")"
    echo "$dir" > "$STATE"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U medinfer --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_owner tee "$dir/data/pg_hba.conf" >/dev/null
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=200" start >/dev/null; then
            url="postgres://medinfer@127.0.0.1:$port/postgres?sslmode=disable"
            echo "$url" | as_owner tee "$dir/url"
            return
        fi
        grep -q "already in use" "$dir/server.log" 2>/dev/null || { cat "$dir/server.log" >&2 || true; die "the server did not start"; }
    done
    die "no free port found"
}

stop() {
    [ -f "$STATE" ] || { echo "pg-test-cluster: not running" >&2; return 0; }
    local dir
    dir=$(cat "$STATE")
    if [ -d "$dir/data" ]; then as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir" "$STATE"
}

url() {
    [ -f "$STATE" ] && [ -f "$(cat "$STATE")/url" ] || die "not running (Scripts/pg-test-cluster.sh start)"
    cat "$(cat "$STATE")/url"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
