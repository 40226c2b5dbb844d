# shellcheck shell=bash
# What the acts of `make demo` (scripts/demo-v1.sh, scripts/demo-mesh.sh)
# share on top of tests/netns/lib.sh: how a step and its output are printed.

# step TEXT: a numbered step's title (bold on a terminal).
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
[ -t 1 ] || step() { printf '\n==> %s\n' "$*"; }
# HOST[NAME]: what the act calls node NAME in its output (default NAME).
declare -A HOST=()

# indent: a command's output under its step.
indent() { sed 's/^/    /'; }

# stop_all NAME...: SIGTERM each daemon in turn, one line each; 1 if one did
# not exit cleanly (its log tail printed).
stop_all() {
	local n failed=0
	for n in "$@"; do
		if stop_node "$n" >"$T/stop.out"; then
			echo "    ${HOST[$n]:-$n}: stopped cleanly (exit 0)"
		else
			indent <"$T/stop.out"
			failed=1
		fi
	done
	return "$failed"
}
