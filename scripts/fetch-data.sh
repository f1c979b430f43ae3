#!/usr/bin/env bash
# Fetches the workshop's text, t8.shakespeare.txt (Project Gutenberg etext #100, as used in
# MIT OCW 6.006), into data/. Offline, says so and says where to put the file.
#
#   scripts/fetch-data.sh [DEST]          default data/t8.shakespeare.txt
#   SOURCE=/path/to/copy scripts/fetch-data.sh    copy a local copy instead of downloading
set -euo pipefail

DEST=${1:-data/t8.shakespeare.txt}
URL=https://ocw.mit.edu/ans7870/6/6.006/s08/lecturenotes/files/t8.shakespeare.txt
MIN_BYTES=5000000  # the full text is about 5.5 MB; anything much smaller is not it

mkdir -p "$(dirname "$DEST")"
if [[ -s "$DEST" ]]; then
    echo "data: $DEST present ($(stat -c %s "$DEST") bytes)"
    exit 0
fi
if [[ -n "${SOURCE:-}" ]]; then
    [[ -s "$SOURCE" ]] || { echo "data: SOURCE=$SOURCE is not a non-empty file" >&2; exit 1; }
    cp "$SOURCE" "$DEST.part" && mv "$DEST.part" "$DEST"
    echo "data: copied $SOURCE to $DEST ($(stat -c %s "$DEST") bytes)"
    exit 0
fi
tmp="$DEST.part"
trap 'rm -f "$tmp"' EXIT
if command -v curl >/dev/null; then
    curl -fsSL --connect-timeout 10 --max-time 120 -o "$tmp" "$URL" || true
elif command -v wget >/dev/null; then
    wget -q --timeout=10 -O "$tmp" "$URL" || true
fi
size=$(stat -c %s "$tmp" 2>/dev/null || echo 0)
if [[ $size -ge $MIN_BYTES ]]; then
    mv "$tmp" "$DEST"
    echo "data: downloaded $DEST ($size bytes)"
    exit 0
fi
cat >&2 <<MSG
data: could not download the workshop text (no network, or the file was not what was
expected: $size bytes, need at least $MIN_BYTES).
Put a copy of t8.shakespeare.txt at $DEST yourself, or run
  make data SOURCE=/path/to/t8.shakespeare.txt
or build a text of any size from one you have:
  build/parsweep corpus --from some.txt --size 100M --out $DEST
MSG
exit 1
