#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite.
# Usage: bash tools/test.sh [pytest args]      (.ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests drive for real: a PostgreSQL server for the catalog
# suite, Debian's WordNet 3.0 dict files (the bundled data is rebuilt from them
# and the taxonomy bench's nltk reads them), and Debian's Chromium for the web
# app's browser tests (Playwright drives it; `playwright install` is never run).
# Installed with apt when missing (as root, or through passwordless sudo).
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ((${#missing[@]})); then
    apt=(apt-get)
    [ "$(id -u)" = 0 ] || apt=(sudo -n apt-get)
    echo "installing ${missing[*]} with apt-get" >&2
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

# The taxonomy bench compares against nltk in its own virtualenv; make it (and
# nltk's copy of the dict files) now, so no test downloads anything.
python bench/taxonomy.py --prepare --wordnet-source debian
# Likewise the ingest bench's img2dataset virtualenv and its --quick image set.
python bench/ingest.py --prepare --quick
# And the verify bench's crowd-kit virtualenv.
python bench/verify.py --prepare
# And the audit bench's cleanlab virtualenv (its --quick compares with cleanlab when it exists).
python bench/audit.py --prepare

# Here a component that cannot start (PostgreSQL, …) fails its tests instead of skipping them.
export SYNSETDB_TEST_REQUIRE_SERVICES=1

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
# Two processes (pytest-xdist), as many as CI's cores; a -n given here overrides it.
status=0
python -m pytest -n 2 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    exit 1
fi
exit "$status"
