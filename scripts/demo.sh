#!/usr/bin/env bash
# `make demo`: two acts, live, in network namespaces on this machine.  Each
# act builds its own namespaces and tears them down before the next starts.
#
#   1. scripts/demo-v1.sh    the v1 Quick Start: a hub and two spokes; a
#                            spoke pings the other through the hub.
#   2. scripts/demo-mesh.sh  the README's mesh quick start: a base server and
#                            two mesh nodes, each behind a NAT router of its
#                            own; they ping each other by name, relayed
#                            first, then direct; the direct path is cut and
#                            the pings carry on through the relay.
#   3. scripts/demo-mgmt.sh  the management plane: subnetra-mgmtd on a mesh
#                            node, three devices join with codes, the admin
#                            adds one to a network through the REST API and
#                            the others ping it by name; the dashboard's URL
#                            and the first admin's one-time password.
#
# Exit status: 0 if every act succeeded, 1 otherwise (every act runs).
#
#   scripts/demo.sh                 (needs root; `make demo` builds first)
#   SUBNETRA_BUILD=dir scripts/demo.sh
set -u
dir=$(dirname "$0")
rc=0
acts=("demo-v1.sh" "demo-mesh.sh" "demo-mgmt.sh")
titles=("v1: a hub and two spokes" "mesh: a base and two nodes behind NATs"
	"management: a dashboard, join codes, live whitelists and names")
for i in "${!acts[@]}"; do
	t0=$SECONDS
	printf '\n######## Act %d of %d -- %s ########\n' $((i + 1)) ${#acts[@]} "${titles[$i]}"
	"$dir/${acts[$i]}" || rc=1
	printf '(act %d took %d s)\n' $((i + 1)) $((SECONDS - t0))
done
[ "$rc" -eq 0 ] && echo "demo: all ${#acts[@]} acts OK." || echo "demo: FAILED (see above)." >&2
exit "$rc"
