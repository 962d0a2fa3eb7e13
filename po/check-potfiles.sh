#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a source or .ui file with translatable strings is missing from POTFILES.in,
# or when POTFILES.in names a file that no longer exists: either way strings would silently
# stay untranslated.
set -eu
top=${1:?usage: check-potfiles.sh SOURCE_ROOT}
cd "$top"

listed=$(mktemp)
found=$(mktemp)
trap 'rm -f "$listed" "$found"' EXIT

grep -v '^#' po/POTFILES.in | sed '/^[[:space:]]*$/d' | LC_ALL=C sort >"$listed"
{
  grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|NC_|g_dngettext|ngettext)[[:space:]]*\(' \
    --include='*.c' app backend common 2>/dev/null || true
  grep -rl 'translatable="yes"' --include='*.ui' data/ui app 2>/dev/null || true
  ls data/*.desktop.in.in data/*.metainfo.xml.in.in data/*.gschema.xml.in 2>/dev/null || true
} | LC_ALL=C sort -u >"$found"

status=0
if ! LC_ALL=C sort -c "$listed" 2>/dev/null; then
  echo "po/POTFILES.in is not sorted (LC_ALL=C sort)"
  status=1
fi
missing=$(LC_ALL=C comm -13 "$listed" "$found")
if [ -n "$missing" ]; then
  echo "Files with translatable strings missing from po/POTFILES.in:"
  echo "$missing"
  status=1
fi
while read -r f; do
  [ -e "$f" ] || { echo "po/POTFILES.in names a missing file: $f"; status=1; }
done <"$listed"
exit $status
