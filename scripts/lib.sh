# Shared by scripts/setup and scripts/test: find Python 3.10, make .venv, install, services.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

is_py310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

# Rasa 3.6 runs on Python 3.8-3.10 only; we use 3.10. A pyenv shim named python3.10 may exist
# and still fail, so every candidate is run before it is trusted.
find_python310() {
  local c
  for c in "${BANSHI_PYTHON:-}" python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if is_py310 "$c"; then command -v "$c" || echo "$c"; return 0; fi
  done
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  if command -v pyenv >/dev/null 2>&1; then root="$(pyenv root)"; fi
  for c in $(ls -d "$root"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
    if is_py310 "$c"; then echo "$c"; return 0; fi
  done
  if command -v uv >/dev/null 2>&1; then
    c="$(uv python find 3.10 2>/dev/null || true)"
    if is_py310 "$c"; then echo "$c"; return 0; fi
  fi
  return 1
}

ensure_venv() {
  if ! is_py310 "$VENV/bin/python"; then
    local py
    py="$(find_python310)" || die "No Python 3.10 interpreter found (Rasa 3.6 needs 3.10).
  Looked at: \$BANSHI_PYTHON, python3.10, /usr/bin/python3.10, pyenv versions 3.10.*, uv.
  Install one (e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv'),
  or point BANSHI_PYTHON at it, then run this again."
    say "Creating .venv with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
  fi
  # Reinstall only when the declared dependencies changed.
  local stamp="$VENV/.banshi-installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing dependencies into .venv (first time: about 2 minutes)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]"
    echo "$want" > "$stamp"
  fi
}

# PostgreSQL and Redis for the integration tests: start them when they are down.
ensure_services() {
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    say "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start \
      || die "PostgreSQL is not running on 127.0.0.1:5432 and could not be started"
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    say "Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      || die "Redis is not running on 127.0.0.1:6379 and could not be started"
  fi
  local i
  for i in $(seq 1 30); do
    if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  die "PostgreSQL or Redis did not come up"
}

# Headless Chromium and a CJK font for the page tests (notices, the WeChat stand-in page):
# without the font Chinese renders as empty boxes and a screenshot check proves nothing.
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
    return 0
  fi
  say "Installing Chromium and a CJK font (Debian packages)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
    || die "Could not install chromium and fonts-wqy-microhei (needed by the page tests)"
}
