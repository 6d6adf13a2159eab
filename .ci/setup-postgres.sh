# Sourced by .ci/run (repo root, .venv active): a PostgreSQL server for the archive tests.
# Installs PostgreSQL if missing (Debian 12: postgresql 15), starts a throwaway server on
# 127.0.0.1:$EVOLVE_PG_PORT as the postgres user, creates the test database, installs the
# driver and exports EVOLVE_TEST_POSTGRES_URL. Idempotent: a server already answering on
# the port is reused. On any failure it says so and leaves the variable unset (the
# PostgreSQL half of the suite is then skipped, never silently passed).

_evolve_pg_setup() {
    local port="${EVOLVE_PG_PORT:-55432}" dir="${EVOLVE_PG_DIR:-/tmp/evolve-ci-pg}"
    local bin
    if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq postgresql >/dev/null || return 1
    fi
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    _evolve_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        if [ ! -s "$dir/PG_VERSION" ]; then
            mkdir -p "$dir" && { [ "$(id -u)" != 0 ] || chown postgres: "$dir"; }
            _evolve_pg "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null || return 1
        fi
        _evolve_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" >/dev/null \
            || return 1
    fi
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'evolve_test'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres evolve_test || return 1
    fi
    python -c "import psycopg" 2>/dev/null || pip install -q 'psycopg[binary]' || return 1
    export EVOLVE_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/evolve_test"
}

if _evolve_pg_setup; then
    echo "PostgreSQL for the tests: $EVOLVE_TEST_POSTGRES_URL"
else
    echo "warning: could not set up PostgreSQL; its half of the archive suite is skipped" >&2
fi
unset -f _evolve_pg_setup _evolve_pg 2>/dev/null || true
