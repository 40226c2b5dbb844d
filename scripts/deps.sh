#!/usr/bin/env bash
# Installs (apt, as root) every Debian package the build, the tests and the
# demo need, and only those that are missing.  Safe to run repeatedly.
set -euo pipefail

pkgs=(
	build-essential clang pkg-config       # compilers (gcc and clang builds)
	libclang-rt-dev                        # libFuzzer + sanitizer runtimes for clang
	libsodium-dev                          # all cryptography
	libjson-c-dev                          # strict JSON parsing, 64-bit ints
	libcap-ng-dev                          # drop capabilities after start-up
	libseccomp-dev                         # the syscall allow-list, compiled at build time
	libssl-dev                             # optional AEAD backend (make CRYPTO=openssl)
	libcmocka-dev                          # unit-test framework
	libmicrohttpd-dev                      # subnetra-mgmtd: HTTP server (external epoll)
	libgnutls28-dev                        # subnetra-mgmtd: TLS on its admin listener, its certificate
	libsqlite3-dev sqlite3                 # subnetra-mgmtd: its database (sqlite3: the tests read it)
	libpq-dev                              # subnetra-mgmtd: its PostgreSQL store
	libqrencode-dev                        # subnetra-mgmtd: QR codes (SVG) of join codes and TOTP URIs
	chromium nodejs                        # t_mgmtd_ui: the dashboard in headless Chromium, driven by
	                                       #   puppeteer-core (scripts/ui-deps.sh installs it with npm)
	postgresql                             # t_mgmtd_pg: a server the test starts (psql too)
	curl openssl                           # t_mgmtd_basic: requests to subnetra-mgmtd, certificates
	iproute2 iputils-ping                  # netns scenarios and demo
	socat                                  # make demo, act 3: the dashboard on this machine's 127.0.0.1
	tcpdump iperf3 iptables nftables conntrack procps psmisc
	strace                                 # t_deploy: the unit sandbox trace
	gdb                                    # t_confine: calls made inside a running daemon
	python3-cryptography                   # tests/vectors/gen-*.py, t_mesh_interop's Python mesh peer,
	                                       #   t_mgmtd_http's license check (and python3-yaml below: its
	                                       #   OpenAPI check; Debian 12 has no openapi-spec-validator)
	jq prometheus libxml2-utils python3-yaml # t_deploy: exporter JSON, promtool,
	systemd groff-base man-db              #   plist DTD, compose; units, man pages
)

# npm: Debian's package, unless an npm came with another nodejs build
# (NodeSource's bundles it, and conflicts with Debian's npm).
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
