#!/usr/bin/env bash
# Install the Debian packages geo_app needs, only those missing. Used by `make setup`.
# Works as root (CI) or as a user with sudo. Prints what it does; exits non-zero on failure.
set -euo pipefail

# fonts-noto-core: the printed maps and reports embed Noto Sans (Vietnamese diacritics);
# poppler-utils: the tests read the PDFs back (pdftotext, pdffonts).
packages=(postgresql-15 postgresql-15-postgis-3 gdal-bin fonts-noto-core poppler-utils)
if [[ "${GEO_APP_WITH_BROWSER:-1}" == "1" ]]; then
  packages+=(chromium chromium-driver)
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi

echo "system packages: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "error: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
