#!/bin/sh
# subnetra-textfile-exporter.sh: `subnetra status --json` -> Prometheus metrics
# for the node_exporter textfile collector.  POSIX sh (dash, BusyBox ash);
# the only prerequisite beyond the subnetra CLI is jq.
#
# Writes DIR/subnetra.prom atomically: a hidden temporary file in DIR (never
# *.prom, so node_exporter never reads half a file), mode 0644, then mv.
# The metrics and their HELP texts are those of `subnetra metrics`
# (src/core/metrics.c), line for line:
#   subnetra_up                                            gauge, 1 / 0 if down
#   subnetra_build_info{version,mode,tun,local_id,listen_port,listen_ports}   gauge, 1
#   subnetra_peer_online{id,allowed_src}                   gauge
#   subnetra_peer_last_seen_age_seconds{id,allowed_src}    gauge, only if ever seen
#   subnetra_<counter>_total                               counter, every counter
# A daemon that does not answer (or an unknown schema_version) still gives a
# file: subnetra_up 0 and nothing else, so an alert on subnetra_up == 0 fires.
set -u

PROG=subnetra-textfile-exporter
DEFAULT_DIR=/var/lib/prometheus/node-exporter

usage() {
	cat <<EOF
usage: $PROG [--dir DIR] [--name FILE.prom] [--subnetra PATH]
       $PROG --stdout [--subnetra PATH]
       $PROG --help

Reads 'subnetra status --json' and writes node_exporter textfile metrics.

  --dir DIR        textfile collector directory (default \$SUBNETRA_TEXTFILE_DIR,
                   else $DEFAULT_DIR)
  --name FILE      file name in DIR, must end in .prom (default subnetra.prom)
  --subnetra PATH  the control tool (default \$SUBNETRA_CLI, else 'subnetra'
                   from PATH); SUBNETRA_SOCK selects the daemon's socket
  --stdout         print the metrics instead of writing a file
  --help, -h       print this help

Needs jq, and the right to use the control socket (root, or the daemon's
configured user), in the daemon's network namespace.

exit status: 0 metrics written (subnetra_up 0 when the daemon is down),
1 jq missing or the file could not be written, 2 usage error
EOF
}

usage_error() {
	echo "$PROG: $1" >&2
	echo "usage: $PROG [--dir DIR] [--name FILE.prom] [--subnetra PATH] | --stdout (see --help)" >&2
	exit 2
}

dir=${SUBNETRA_TEXTFILE_DIR:-$DEFAULT_DIR}
name=subnetra.prom
cli=${SUBNETRA_CLI:-subnetra}
to_stdout=0

while [ $# -gt 0 ]; do
	case $1 in
	--dir | --name | --subnetra)
		if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
		case $1 in
		--dir) dir=$2 ;;
		--name) name=$2 ;;
		--subnetra) cli=$2 ;;
		esac
		shift 2
		;;
	--stdout) to_stdout=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument: $1" ;;
	esac
done
case $name in
*/* | .* | "") usage_error "--name must be a plain file name: $name" ;;
*.prom) ;;
*) usage_error "--name must end in .prom (node_exporter reads only *.prom): $name" ;;
esac

command -v jq >/dev/null 2>&1 || {
	echo "$PROG: jq not found; install it (apt-get install jq, opkg install jq)" >&2
	exit 1
}

HELP_UP='1 if subnetra status answered on the control socket, 0 if the daemon is down.'

# Label values: printable ASCII kept, '"' and '\' escaped, anything else '?'
# (the rule of src/core/metrics.c; status --json writes each non-ASCII byte as one
# \u00XX escape, so one code point here is one byte there).
# shellcheck disable=SC2016 # a jq program: $help_up is jq's, not the shell's
JQ_PROGRAM='
def lv: tostring | explode
  | map(if . == 34 or . == 92 then (92, .) elif . < 32 or . > 126 then 63 else . end)
  | implode;
def family(n; t; h): "# HELP \(n) \(h)\n# TYPE \(n) \(t)";
def labels: "{id=\"\(.id)\",allowed_src=\"\(.allowed_src | lv)\"}";
if .schema_version != 1 then
  error("unsupported schema_version \(.schema_version) (this exporter reads 1)")
else . end
| family("subnetra_up"; "gauge"; $help_up),
  "subnetra_up 1",
  family("subnetra_build_info"; "gauge";
    "Identity of the running daemon in the labels; the value is always 1."),
  "subnetra_build_info{version=\"\(.version | lv)\",mode=\"\(.mode | lv)\",tun=\"\(.tun | lv)\",local_id=\"\(.local_id)\",listen_port=\"\(.listen_port)\",listen_ports=\"\((.listen_ports // [.listen_port]) | map(tostring) | join(","))\"} 1",
  family("subnetra_peer_online"; "gauge";
    "1 if the peer sent an authenticated datagram within the freshness window (90 s)."),
  (.peers[] | "subnetra_peer_online\(labels) \(if .online == true then 1 else 0 end)"),
  family("subnetra_peer_last_seen_age_seconds"; "gauge";
    "Seconds since the peer'"'"'s last authenticated datagram; absent if never seen."),
  (.peers[] | select(.last_seen_age_seconds != null)
    | "subnetra_peer_last_seen_age_seconds\(labels) \(.last_seen_age_seconds)"),
  (.counters | to_entries[] | select(.key | test("^[a-z0-9_]+$"))
    | family("subnetra_\(.key)_total"; "counter";
        "Counter \(.key) of subnetra status --json (see docs/operations.md)."),
      "subnetra_\(.key)_total \(.value)")
'

down_metrics() {
	printf '# HELP subnetra_up %s\n# TYPE subnetra_up gauge\nsubnetra_up 0\n' "$HELP_UP"
}

# The metrics, on stdout.  The CLI's and jq's complaints go to stderr (the
# journal, under the systemd unit), the file says subnetra_up 0.
render() {
	json=$("$cli" status --json) || {
		down_metrics
		return 0
	}
	text=$(printf '%s' "$json" | jq -r --arg help_up "$HELP_UP" "$JQ_PROGRAM") || {
		echo "$PROG: could not read the status JSON; reporting subnetra_up 0" >&2
		down_metrics
		return 0
	}
	printf '%s\n' "$text"
}

if [ "$to_stdout" -eq 1 ]; then
	render
	exit 0
fi

[ -d "$dir" ] || {
	echo "$PROG: $dir: no such directory (create it, or pass --dir)" >&2
	exit 1
}
tmp=$(mktemp "$dir/.$name.XXXXXX") || {
	echo "$PROG: cannot create a temporary file in $dir" >&2
	exit 1
}
if render >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$dir/$name"; then
	exit 0
fi
rm -f "$tmp"
echo "$PROG: could not write $dir/$name" >&2
exit 1
