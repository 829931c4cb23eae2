# Sourced by the other scripts: install Debian packages when we may (root, or sudo without a password).
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "Missing system packages: $*. Install them with: sudo apt-get install -y $*" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    echo "Missing system packages ($*) and no apt-get to install them with." >&2
    return 1
  fi
  echo "Installing system packages: $*" >&2
  # The package lists may be stale or missing on a fresh machine; update once, then install.
  $sudo apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
