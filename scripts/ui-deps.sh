#!/usr/bin/env bash
# Installs the browser test's one npm package (puppeteer-core, pinned by
# tests/ui/package-lock.json) into tests/ui/node_modules; the browser is
# Debian's chromium (scripts/deps.sh), so nothing is downloaded at test
# time.  Offline-tolerant: with the registry unreachable and nothing in
# npm's cache, it says so and returns 0, and t_mgmtd_ui skips.
set -uo pipefail
cd "$(dirname "$0")/../tests/ui" || exit 1

if ! command -v npm >/dev/null; then
	echo "ui-deps: no npm: t_mgmtd_ui will skip (scripts/deps.sh installs it)" >&2
	exit 0
fi
# Up to date: the lock file is what was installed last.
if [ -f node_modules/.package-lock.json ] && [ -d node_modules/puppeteer-core ] &&
	[ node_modules/.package-lock.json -nt package-lock.json ]; then
	exit 0
fi
log=$(mktemp /tmp/ui-deps.XXXXXX)
# Trust the system's CA store as apt and curl do, on top of Node's own list
# (a local or TLS-inspecting CA installed with update-ca-certificates).
[ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ] &&
	export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
if npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error >/dev/null 2>"$log"; then
	rm -f "$log"
	exit 0
fi
echo "ui-deps: npm ci failed (registry unreachable and not cached?): t_mgmtd_ui will skip" >&2
sed 's/^/ui-deps:   /' "$log" | tail -5 >&2
rm -f "$log"
exit 0
