#!/bin/sh
# The dependency graph of src/, cli/ and tools/ (tests left out), drawn from
# the #include "..." lines, and whether it has a cycle.
#
#   scripts/include-graph.sh [files|modules|folders|layers]
#
#   files    every file -> each project header it includes
#   modules  foo.c and foo.h as one node (src/core/wire)
#   folders  the folder of each file (src/daemon/datapath)
#   layers   the libraries of the Makefile: core, core/mgmt, os, common,
#            daemon, agent, mgmt, tools/lib, and the programs: tools, cli
#   calls    not from the includes: which library object calls (or reads)
#            a symbol another defines, from nm(1) over the objects of a
#            build (BUILD=build by default; run make first)
#
# Prints one "from -> to" line per edge, then "no cycle", or the cycle that
# tsort(1) found and exit status 1.
set -eu
cd "$(dirname "$0")/.."
level=${1:-modules}

node() {
	case $level in
	files) echo "$1" ;;
	modules) echo "${1%.[ch]}" ;;
	folders) dirname "$1" ;;
	layers)
		case $1 in
		src/core/mgmt/*) echo core/mgmt ;;
		src/core/*) echo core ;;
		src/os/*) echo os ;;
		src/common/*) echo common ;;
		src/daemon/*) echo daemon ;;
		src/agent/*) echo agent ;;
		src/mgmt/*) echo mgmt ;;
		tools/lib/*) echo tools/lib ;;
		tools/*) echo tools ;;
		cli/*) echo cli ;;
		*) echo "$1" ;;
		esac ;;
	*) echo "usage: scripts/include-graph.sh [files|modules|folders|layers|calls]" >&2; exit 2 ;;
	esac
}

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
if [ "$level" = calls ]; then
	objs=${BUILD:-build}/obj
	[ -d "$objs/src" ] || { echo "no objects in $objs: run make first" >&2; exit 2; }
	find "$objs/src" "$objs/tools/lib" -name '*.o' | sort | xargs nm -A -P |
		awk -v pre="$objs/" '
		{ f = $1; sub(/:$/, "", f); sub(pre, "", f); sub(/\.o$/, "", f) }
		$3 == "U" { use[f, $2] = 1; next }
		$3 ~ /^[TDBR]$/ { def[$2] = f }
		END { for (k in use) { split(k, a, SUBSEP); if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] } }' |
		sort -u >"$edges"
else
find src cli tools -name '*.[ch]' | sort | while read -r f; do
	sed -n 's/^#include "\(.*\)".*/\1/p' "$f" | while read -r inc; do
		if [ -f "src/$inc" ]; then h=src/$inc; elif [ -f "$inc" ]; then h=$inc; else continue; fi
		a=$(node "$f")
		b=$(node "$h")
		[ "$a" = "$b" ] || echo "$a $b"
	done
done | sort -u >"$edges"
fi

awk '{ print $1 " -> " $2 }' "$edges"
if tsort "$edges" >/dev/null 2>&1; then
	echo "no cycle ($(wc -l <"$edges") edges)"
else
	tsort "$edges" 2>&1 >/dev/null | sed 's/^tsort: //; /input contains a loop/s/.*/cycle:/'
	exit 1
fi
