# Sourced by the scripts in this folder: make .venv exist and hold tradeguard with the given
# extras, reinstalling only when pyproject.toml or the extras changed. Needs only python3 + pip.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "tradeguard: creating .venv with $($python --version 2>&1)" >&2
    "$python" -m venv .venv
fi
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras}"
have="$(cat .venv/.tradeguard-installed 2>/dev/null || true)"
case " $have " in
    *" $want "*) ;;
    *)
        echo "tradeguard: installing tradeguard${extras:+[$extras]} into .venv (first run takes a minute)" >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}" >&2
        echo "$have $want" > .venv/.tradeguard-installed
        ;;
esac
