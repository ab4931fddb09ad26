#!/bin/sh
# Packaging check, one meson test. Two programs: main.cpp (the core) and
# adapters_main.cpp (the adapters library), each built and run
#  1. by a downstream meson project taking this tree as a subproject;
#  2. from a `meson install --destdir` of the test's own build dir, with
#     pkg-config alone (testr-core.pc, testr-adapters.pc);
#  3. from the same tree by a CMake project: find_package(testr CONFIG),
#     targets testr::core and testr::adapters.
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
cp "$src/tests/consumer/meson.build" "$src/tests/consumer/main.cpp" "$src/tests/consumer/adapters_main.cpp" \
  "$src/tests/consumer/CMakeLists.txt" "$tmp/consumer/"
(cd "$src" && tar cf - --exclude='./build*' --exclude=./.git --exclude='./subprojects/*/' .) |
  tar xf - -C "$tmp/consumer/subprojects/testr-mini"
meson setup --wrap-mode=nodownload --force-fallback-for=testr-core,testr-adapters \
  "$tmp/consumer/build" "$tmp/consumer" >"$tmp/setup.log" 2>&1 ||
  { cat "$tmp/setup.log"; fail "consumer project does not configure"; }
grep -q "Dependency testr-core found: YES .*(overridden)" "$tmp/setup.log" ||
  { cat "$tmp/setup.log"; fail "testr-core did not come from the subproject"; }
grep -q "Dependency testr-adapters found: YES .*(overridden)" "$tmp/setup.log" ||
  { cat "$tmp/setup.log"; fail "testr-adapters did not come from the subproject"; }
# The consumers only: the subproject's CLI and tests are not their concern.
ninja -C "$tmp/consumer/build" consumer adapters_consumer >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "consumer does not build"; }
"$tmp/consumer/build/consumer" || fail "consumer program failed"
"$tmp/consumer/build/adapters_consumer" || fail "adapters consumer program failed"

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

for h in $(cd "$src/adapters" && ls *.hpp); do
  [ -f "$incdir/adapters/$h" ] || fail "installed tree lacks testr/adapters/$h"
done
for h in $(cd "$src/internal" && ls *.hpp); do
  [ -z "$(find "$dest" -name "$h")" ] || fail "the adapters' private $h was installed"
done
apc=$(find "$dest" -name testr-adapters.pc)
[ -n "$apc" ] || fail "no testr-adapters.pc under $dest"
flags=$(PKG_CONFIG_PATH=$(dirname "$apc") PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs testr-adapters) ||
  fail "pkg-config cannot read $apc"
echo "pkg-config --cflags --libs testr-adapters: $flags"
case " $flags " in *" -L$dest/"*) ;; *) fail "libs do not point into the destdir" ;; esac
# shellcheck disable=SC2086
"$cxx" "$src/tests/consumer/adapters_main.cpp" $flags -o "$tmp/installed-adapters-consumer" ||
  fail "cannot build against the installed adapters"
"$tmp/installed-adapters-consumer" || fail "adapters program built against the installed tree failed"

echo "== 3. the same tree found by CMake: find_package(testr CONFIG)"
config=$(find "$dest" -name testrConfig.cmake)
[ -n "$config" ] || fail "no testrConfig.cmake under $dest"
prefix=$(dirname "$(dirname "$pc")")  # .../lib/<arch>: CMake searches <prefix>/lib/<arch>/cmake
prefix=${prefix%/lib*}
cmake -S "$tmp/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "CMake consumer does not configure"; }
cmake --build "$tmp/cmake" >"$tmp/cmake-build.log" 2>&1 ||
  { cat "$tmp/cmake-build.log"; fail "CMake consumer does not build"; }
"$tmp/cmake/consumer" || fail "CMake-built consumer failed"
"$tmp/cmake/adapters_consumer" || fail "CMake-built adapters consumer failed"
grep -q "$dest" "$tmp/cmake/CMakeCache.txt" || fail "CMake did not take testr from the destdir"
# A version the tree cannot satisfy is refused.
mkdir -p "$tmp/cmake-too-new"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(p CXX)\nfind_package(testr 9.0 CONFIG REQUIRED)\n' \
  >"$tmp/cmake-too-new/CMakeLists.txt"
if cmake -S "$tmp/cmake-too-new" -B "$tmp/cmake-too-new/b" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/too-new.log" 2>&1; then
  fail "find_package(testr 9.0) accepted this tree's version"
fi
version=$(meson introspect --projectinfo "$build" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
grep -qF "$version" "$tmp/too-new.log" || { cat "$tmp/too-new.log"; fail "version refusal does not name the version found ($version)"; }
echo "consumer: OK"
