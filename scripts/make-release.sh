#!/usr/bin/env bash
# The release tarball: DIR/parsweep-<version>.tar.gz (default DIR: dist/), made by git archive
# from the committed tree at REF (default HEAD), so it holds exactly what is committed.
# git archive fills in cmake/git-commit.txt (export-subst, .gitattributes): a build from the
# tarball, without .git, still names its commit (`parsweep --version`, every run's context).
#
#   scripts/make-release.sh [--out DIR] [REF]      (make dist)
set -euo pipefail

out=dist
ref=HEAD
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        -*) echo "make-release: unknown option $1" >&2; exit 2 ;;
        *) ref="$1"; shift ;;
    esac
done

top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
# The version of CMakeLists.txt's project() at that commit.
version=$(git -C "$top" show "$ref:CMakeLists.txt" |
          sed -n 's/^project(parsweep VERSION \([0-9][0-9.]*\).*/\1/p')
if [[ -z "$version" ]]; then
    echo "make-release: no 'project(parsweep VERSION x.y.z' in CMakeLists.txt at $ref" >&2
    exit 2
fi
if [[ "$ref" == HEAD ]] && ! git -C "$top" diff --quiet HEAD --; then
    echo "make-release: note: uncommitted changes are not in the tarball (it is HEAD's tree)" >&2
fi
mkdir -p "$out"
tarball="$out/parsweep-$version.tar.gz"
git -C "$top" archive --format=tar.gz --prefix="parsweep-$version/" -o "$(realpath "$out")/parsweep-$version.tar.gz" "$ref"
echo "$tarball ($(git -C "$top" rev-parse --short=12 "$ref^{commit}"))"
