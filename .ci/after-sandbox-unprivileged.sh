#!/usr/bin/env bash
# CI: the sandbox battery again, as an ordinary user (the main run is as root).
# Creates the user if missing, copies the working tree where that user can read it, makes
# a venv from Debian's /usr/bin/python3 (the default python3 lives under /root, mode 700),
# installs the project there and runs tests/test_sandbox*.py as that user.
set -euo pipefail
cd "$(dirname "$0")/.."

CI_USER=${EVOLVE_CI_USER:-evolve-sandbox-ci}
PYTHON=${EVOLVE_CI_PYTHON:-/usr/bin/python3}
BASE=/tmp/evolve-sandbox-ci  # the venv is kept here between runs, keyed on pyproject.toml

if [ "$(id -u)" -ne 0 ]; then
    echo "after-sandbox-unprivileged: not root, so already unprivileged; running as $(id -un)"
    exec pytest -q tests/test_sandbox*.py
fi
id -u "$CI_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$CI_USER"

mkdir -p "$BASE"
chown "$CI_USER:" "$BASE"
chmod 755 "$BASE"
REPO=$(mktemp -d "$BASE/repo.XXXXXX")
trap 'rm -rf "$REPO"' EXIT
tar --exclude=./.venv --exclude=./.git --exclude='*/__pycache__' --exclude=./.mypy_cache \
    --exclude=./.pytest_cache --exclude=./.ruff_cache --exclude='*.egg-info' -cf - . \
    | tar -xf - -C "$REPO"
chown -R "$CI_USER:" "$REPO"

as_user() {
    runuser -u "$CI_USER" -- env -i HOME="$(getent passwd "$CI_USER" | cut -d: -f6)" \
        PATH="$BASE/venv/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$@"
}

STAMP=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x "$BASE/venv/bin/python" ] || [ "$(cat "$BASE/venv/.stamp" 2>/dev/null)" != "$STAMP" ]; then
    rm -rf "$BASE/venv"
    as_user "$PYTHON" -m venv "$BASE/venv"
    as_user pip install -q --disable-pip-version-check -e "$REPO[dev]"
    echo "$STAMP" >"$BASE/venv/.stamp"
else  # a venv from an earlier run: point its editable install at this copy of the tree
    as_user pip install -q --disable-pip-version-check --no-deps -e "$REPO"
fi

echo "sandbox battery as $CI_USER (uid $(id -u "$CI_USER")) with $($PYTHON --version):"
as_user bash -c "cd '$REPO' && python -m evolve sandbox check && pytest -q -p no:cacheprovider tests/test_sandbox*.py"
