# Sourced by the scripts: installs the Debian packages minidl needs, only those that are missing.
# usage: ensure_packages pkg...   (MINIDL_NO_APT=1 skips installing and only reports)
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${MINIDL_NO_APT:-0}" = 1 ]; then
    echo "missing Debian packages: ${missing[*]} (MINIDL_NO_APT=1, not installing)" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
    { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}

MINIDL_BUILD_PACKAGES=(cmake make g++ pkg-config libopenblas-dev libfmt-dev catch2 libbenchmark-dev
                       zlib1g-dev libjpeg-dev libstb-dev nlohmann-json3-dev)
