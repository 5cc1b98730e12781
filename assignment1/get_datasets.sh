#!/usr/bin/env bash
# Get CIFAR-10 in the official cifar-10-batches-py/ layout (download, or --from ARCHIVE).
# A thin wrapper around `python -m cs231n_lib.datasets`; `bash get_datasets.sh --help`
# explains the options. Set PYTHON to choose the interpreter (default: python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: the Python interpreter '$PYTHON' was not found. Install Python 3," \
        "or point PYTHON at one: PYTHON=/path/to/python3 bash get_datasets.sh" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: $PYTHON is $("$PYTHON" --version 2>&1 | head -n 1), but get_datasets.sh needs" \
        "Python 3.10 or newer. Point PYTHON at a newer one: PYTHON=python3.12 bash get_datasets.sh" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import numpy, PIL, tqdm' 2>/dev/null; then
    missing=""
    for module in numpy PIL tqdm; do
        "$PYTHON" -c "import $module" 2>/dev/null || missing="$missing $module"
    done
    fix="$PYTHON -m pip install numpy pillow tqdm"
    if [ -f "$here/Makefile" ]; then
        fix="$fix, or run \`make demo\` (it creates .venv) and then PYTHON=$here/.venv/bin/python bash $here/get_datasets.sh"
    fi
    echo "error: $PYTHON ($(command -v "$PYTHON")) cannot import${missing}; get_datasets.sh" \
        "needs numpy, PIL (Pillow) and tqdm. Install them: $fix" >&2
    exit 1
fi

# The package next to this script, whatever the current folder is: relative
# --from and --dest paths stay relative to where the command was typed.
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m cs231n_lib.datasets "$@"
