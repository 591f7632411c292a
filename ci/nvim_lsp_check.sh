#!/bin/sh
# A real editor: headless Neovim (Debian's package; its built-in LSP client) attached to
# `batchlint server` opens a MuseV-style template in a folder whose batchlint.toml says 16
# processes, and must receive its diagnostics, then follow an unsaved edit. Exit 0 when it does.
#   ci/nvim_lsp_check.sh [PYTHON]     PYTHON: the interpreter that has batchlint[server] (default: python3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
python=${1:-python3}
command -v nvim >/dev/null 2>&1 || { echo "nvim_lsp_check: nvim not found (apt-get install -y neovim)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$repo/tests/fixtures/server/musev/train_template.yaml" "$repo/tests/fixtures/server/musev/batchlint.toml" "$work/"
cd "$work"
BATCHLINT_NVIM_FILE="$work/train_template.yaml" BATCHLINT_NVIM_PYTHON="$python" \
  timeout 120 nvim --headless --clean -n -c "luafile $here/nvim_lsp_check.lua"
