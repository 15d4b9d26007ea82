# Shared by every e2e script (sourced): paths, the ck8s-gen binary, rendering, apt installs,
# and a free loopback port. Nothing here starts a server.
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(cd "$E2E_DIR/.." && pwd)"
SHARED="${CK8S_SHARED:-$REPO/../shared}"
CK8S_GEN="${CK8S_GEN:-${CARGO_TARGET_DIR:-$REPO/target}/debug/ck8s-gen}"
# Where the suite keeps built tools between runs (Go binaries, caches). Not in the repository.
E2E_TOOLS="${E2E_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/ck8s-gen-e2e}"
export E2E_DIR REPO SHARED CK8S_GEN E2E_TOOLS

e2e_build_binary() {
  (cd "$REPO" && cargo build --locked --quiet)
}

# e2e_render OUT [ENV...]: render the shipped environments (or a variant directory given by
# CK8S_E2E_ENV_DIR) into OUT, pinned to the day CI pins.
e2e_render() {
  local out="$1"; shift
  "$CK8S_GEN" --dir "${CK8S_E2E_ENV_DIR:-$REPO/environments}" render --out "$out" "$@"
}

# e2e_apt [--no-install-recommends] PACKAGE...: install Debian packages that are missing (root
# on Debian only).
e2e_apt() {
  local missing=() opts=()
  if [ "${1:-}" = --no-install-recommends ]; then opts=("$1"); shift; fi
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "e2e: missing Debian packages ${missing[*]} and not root to install them" >&2
    return 1
  fi
  if [ -z "${E2E_APT_UPDATED:-}" ]; then apt-get update -qq; export E2E_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${opts[@]}" "${missing[@]}" >/dev/null
}

# e2e_free_port: print a TCP port that is free on 127.0.0.1 now.
e2e_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# e2e_need CMD...: fail (never skip) when a tool is missing.
e2e_need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "e2e: required tool '$c' is missing: run e2e/install" >&2; return 1; }
  done
}
