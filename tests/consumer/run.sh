#!/bin/sh
# Packaging check (issue 2), one meson test:
#  1. a downstream meson project gets testr-core from this tree as a
#     subproject and builds and runs a program using the headers;
#  2. `meson install --destdir` of the test's own build dir yields
#     include/testr/*.hpp and a testr-core.pc with which pkg-config alone is
#     enough to compile and run the same program.
# Offline: the subproject is a copy of the working tree, wraps never fetch.
set -eu

src=${TESTR_SOURCE_ROOT:?run through meson test}
build=${TESTR_BUILD_ROOT:?run through meson test}
cxx=${CXX:-c++}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/testr-consumer-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== 1. as a meson subproject"
mkdir -p "$tmp/consumer/subprojects/testr-mini"
cp "$src/tests/consumer/meson.build" "$src/tests/consumer/main.cpp" "$tmp/consumer/"
(cd "$src" && tar cf - --exclude='./build*' --exclude=./.git --exclude='./subprojects/*/' .) |
  tar xf - -C "$tmp/consumer/subprojects/testr-mini"
meson setup --wrap-mode=nodownload --force-fallback-for=testr-core \
  "$tmp/consumer/build" "$tmp/consumer" >"$tmp/setup.log" 2>&1 ||
  { cat "$tmp/setup.log"; fail "consumer project does not configure"; }
grep -q "Dependency testr-core found: YES .*(overridden)" "$tmp/setup.log" ||
  { cat "$tmp/setup.log"; fail "testr-core did not come from the subproject"; }
# Build the consumer only: the subproject's adapters are not its concern.
ninja -C "$tmp/consumer/build" consumer >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "consumer does not build"; }
"$tmp/consumer/build/consumer" || fail "consumer program failed"

echo "== 2. installed with meson install --destdir, found with pkg-config"
dest="$tmp/dest"
meson install -C "$build" --no-rebuild --tags devel --destdir "$dest" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "meson install failed"; }
pc=$(find "$dest" -name testr-core.pc)
[ -n "$pc" ] || fail "no testr-core.pc under $dest"
incdir=$(find "$dest" -type d -path '*/include/testr' | head -n 1)
[ -n "$incdir" ] || fail "no include/testr under $dest"
for h in $(cd "$src/include/testr" && find . -name '*.hpp'); do
  [ -f "$incdir/$h" ] || fail "installed tree lacks testr/$h"
done
# PKG_CONFIG_SYSROOT_DIR maps the .pc file's /usr/local-style paths into
# the destdir, as for any staged install.
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags testr-core) ||
  fail "pkg-config cannot read $pc"
echo "pkg-config --cflags testr-core: $cflags"
case " $cflags " in *" -I$dest/"*) ;; *) fail "cflags do not point into the destdir" ;; esac
# shellcheck disable=SC2086  # cflags is a word list by design
"$cxx" $cflags "$src/tests/consumer/main.cpp" -o "$tmp/installed-consumer" ||
  fail "cannot compile against the installed headers"
"$tmp/installed-consumer" || fail "program built against the installed headers failed"
echo "consumer: OK"
