#!/usr/bin/env bash
# Runs every libFuzzer harness in DIR/fuzz/ and reports in TAP.
#
#   tests/fuzz/run.sh [--build DIR] [--seconds N] [--tap]
#
# For each harness fuzz_X:
#   1. replay: every file in tests/fuzz/regressions/fuzz_X/ and
#      tests/fuzz/corpus/fuzz_X/ runs once (libFuzzer file arguments); any
#      crash, sanitizer report, leak or broken invariant fails the harness;
#   2. fuzz for N seconds (default 10) on a temporary copy of the corpus.
#      A crash is copied to tests/fuzz/regressions/fuzz_X/, where step 1
#      replays it on every later run until the bug is fixed.  While a
#      replayed input still fails, step 2 is skipped ("# SKIP"): it would
#      only find the same bug again under a new file name.
# Two TAP lines per harness ("ok - fuzz_X: replayed ...", "ok - fuzz_X: N
# execs in S s, cov C, ft F, corpus K"); failures print the sanitizer summary
# as "#" lines.  --tap also prints the plan line first.  Exit status 1 if any
# harness failed, 2 on a usage error.  Temporary files live under /tmp and are
# removed on exit.
set -uo pipefail
cd "$(dirname "$0")/../.."

build=build-fuzz
secs=10
tap=0
usage() {
	echo "usage: tests/fuzz/run.sh [--build DIR] [--seconds N] [--tap]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
	--seconds) [ $# -ge 2 ] || usage; secs=$2; shift 2 ;;
	--tap) tap=1; shift ;;
	*) usage ;;
	esac
done
case "$secs" in '' | *[!0-9]*) usage ;; esac

harnesses=()
for h in "$build"/fuzz/fuzz_*; do
	[ -x "$h" ] && [ -f "$h" ] && harnesses+=("$h")
done
if [ ${#harnesses[@]} -eq 0 ]; then
	echo "not ok - no fuzz harnesses in $build/fuzz (make CC=clang FUZZ=1 BUILD=$build fuzz-build)"
	exit 1
fi

tmp=$(mktemp -d /tmp/subnetra-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Dictionaries: the tokens a mutator would otherwise have to guess.
cat >"$tmp/fuzz_ctl.dict" <<'EOF'
"save"
"status"
"--json"
"policy"
"show"
"add"
"--src"
"--dst"
"--action"
"--target"
"forward"
"drop"
"0.0.0.0/0"
"10.0.0.0/24"
"255.255.255.255/32"
"4294967295"
" "
"\x09"
"\x0d"
"\x0a"
EOF
cat "$tmp/fuzz_ctl.dict" >"$tmp/fuzz_policy_file.dict"
printf '"# no policy rules\\x0a"\n"#"\n' >>"$tmp/fuzz_policy_file.dict"
cat >"$tmp/fuzz_config.dict" <<'EOF'
"\"negotiation_version\""
"\"psk\""
"\"local_tun_mtu\""
"\"listen_port\""
"\"listen_ports\""
"\"virtual_subnet\""
"\"local_tun_ip\""
"\"local_id\""
"\"peers\""
"\"role\""
"\"manual\""
"\"hub\""
"\"spoke\""
"\"local_routes\""
"\"remote_routes\""
"\"keepalive_secs\""
"\"obfuscate\""
"\"id\""
"\"endpoint\""
"\"allowed_src\""
"\"name\""
"\"10.0.0.0/24\""
"\"203.0.113.2:18020\""
"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
"true"
"false"
"null"
"65535"
"4294967296"
"\\u0000"
EOF

cat >"$tmp/fuzz_identity.dict" <<'EOF'
"subnetra-identity 1\x0a"
"address "
"public-key "
"seed "
"fc94:"
"::"
"\x0a"
EOF

cat >"$tmp/fuzz_mesh_files.dict" <<'EOF'
"# BEGIN subnetra mesh hosts (managed by subnetra; edits are lost)"
"# END subnetra mesh hosts"
"subnetra-whitelist 1\x0a"
"enabled yes\x0a"
"enabled no\x0a"
"fc94::"
"\x0a"
EOF

# The management plane's payloads: member names and values a mutator would
# otherwise have to guess (core/mgmt, docs/management-protocol.md).
cat >"$tmp/fuzz_mgmt_license.dict" <<'EOF'
"\"type\":\"license\""
"\"v\":1"
"\"instance\":\"11111111111111111111111111111111\""
"\"serial\":"
"\"issued\":\"2026-11-23T10:00:00Z\""
"\"valid_until\":\"2027-11-23T10:00:00Z\""
"\"dashboard_url\":\"https://a\""
"\"websetup_host\":\"fc94::1\""
"\"api_servers\":[\"fc94::1\"]"
"\"base_servers\":"
"\"host\":"
"\"udp_port\":5582"
"\"tcp_port\":443"
"\"public_key\":"
"\"max_devices\":0"
"\"signing_keys\":"
"\"payload\":\""
"\"sig\":\""
"\"key\":\""
EOF
cat >"$tmp/fuzz_mgmt_bundle.dict" <<'EOF'
"\"type\":\"device-config\""
"\"v\":1"
"\"device\":\"fc94::1:0\""
"\"epoch\":"
"\"serial\":"
"\"license_serial\":"
"\"hostname\":\"a\""
"\"aliases\":[]"
"\"peers\":[{\"address\":\"fc94::2\",\"hostname\":\"b\",\"aliases\":[]}]"
"\"address\":\"fc94::"
"\"mgmt\":{\"wait_s\":50,\"status_s\":60}"
"\"payload\":\""
EOF
cp "$tmp/fuzz_mgmt_bundle.dict" "$tmp/fuzz_mgmt_envelope.dict"
cat >>"$tmp/fuzz_mgmt_envelope.dict" <<'EOF'
"\"sig\":\""
"\"key\":\"896c701704cf484e\""
EOF
cat >"$tmp/fuzz_mgmt_devreq.dict" <<'EOF'
"\x0aGET\x0a"
"\x0aPOST\x0a"
"/device/v1/config?have=1.5&wait=50"
"1795443923456"
EOF
printf '"snj_"\n"_"\n' >"$tmp/fuzz_mgmt_joincode.dict"
# The agent's files and the daemon's status answer (src/agent).
cat >"$tmp/fuzz_agent_state.dict" <<'EOF'
"subnetra-agent 1\x0a"
"pid "
"url "
"stage "
"joined 1"
"applied "
"peers "
"last_contact -"
"last_error "
"join "
"join_error "
"join_bundle "
"join_daemon "
"leave "
"refused "
"stale="
"http="
" ok"
"\x0a"
EOF
cat >"$tmp/fuzz_agent_report.dict" <<'EOF'
"\"peers\":[{"
"\"address\":\"fc94::b\""
"\"path\":\"direct\""
"\"relay-udp\""
"\"endpoint\":null"
"\"last_handshake_age_s\":"
"\"rtt_ms\":"
"\"rx_bytes\":"
"\"tx_bytes\":"
"\"bases\":[{"
"\"observed\":\"203.0.113.31:5582\""
"18446744073709551615"
"-0.5"
"1e999"
EOF
cat >"$tmp/fuzz_agent_answers.dict" <<'EOF'
"HTTP/1.1 "
"\x0d\x0a"
"Content-Length: "
"Transfer-Encoding: chunked"
"{\"error\":{\"code\":\"\",\"message\":\"\"}}"
"\"hostname\":\"a\""
EOF
cat >"$tmp/fuzz_agent_requests.dict" <<'EOF'
"\x0a"
"18446744073709551615"
"snj_"
"http://[fc94::1]:8080/"
EOF

# The sanitizer / invariant lines worth quoting for a failure, as "#" lines:
# the report, the summary and the stack frames outside libFuzzer and libc.
summarize() {
	grep -E 'INVARIANT VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|(READ|WRITE) of size|SUMMARY:|^ *#[0-9]+ 0x' "$1" |
		grep -vE '^ *#[0-9]+ 0x[0-9a-f]+ in (fuzzer::|__sanitizer|__asan|__ubsan|__interceptor|main |__libc_start|_start )' |
		head -25 | sed 's/^/# /'
}

# Last "cov: N ft: N corp: N/..." status line of a libFuzzer log.
field() {
	grep -E '^#[0-9]+.*cov: ' "$1" | tail -1 | sed -nE "s/.* $2: ([0-9]+).*/\\1/p"
}
final_stat() {
	sed -nE "s/^stat::$2: *([0-9]+).*/\\1/p" "$1" | tail -1
}

failed=0
n_tests=$((2 * ${#harnesses[@]}))
[ $tap -eq 1 ] && echo "1..$n_tests"

for bin in "${harnesses[@]}"; do
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/$name
	regress=tests/fuzz/regressions/$name
	work=$tmp/$name
	mkdir -p "$work/corpus" "$work/artifacts"
	dict=()
	[ -f "$tmp/$name.dict" ] && dict=(-dict="$tmp/$name.dict")
	common=(-rss_limit_mb=2048 -timeout=5 "${dict[@]}")

	# 1. Replay the regressions and the committed corpus in one process,
	#    then file by file to name every failing input.
	replay_ok=1
	inputs=()
	for f in "$regress"/* "$corpus"/*; do
		[ -f "$f" ] && inputs+=("$f")
	done
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "ok - $name: replayed 0 inputs (no corpus, no regressions)"
	elif "$bin" "${common[@]}" -artifact_prefix="$work/artifacts/replay-" "${inputs[@]}" \
		>"$work/replay.log" 2>&1; then
		echo "ok - $name: replayed ${#inputs[@]} corpus and regression inputs"
	else
		bad=()
		for f in "${inputs[@]}"; do
			"$bin" "${common[@]}" -artifact_prefix="$work/artifacts/one-" "$f" \
				>"$work/one.log" 2>&1 && continue
			bad+=("$f")
			[ ${#bad[@]} -eq 1 ] && cp "$work/one.log" "$work/replay.log"
			case "$f" in
			"$regress"/*) ;;
			*) # a corpus file that crashes becomes a regression as well
				mkdir -p "$regress"
				cp "$f" "$regress/crash-$(sha1sum <"$f" | cut -c1-40)" ;;
			esac
		done
		[ ${#bad[@]} -eq 0 ] && bad=("(the batch run failed; no single input does)")
		echo "not ok - $name: ${#bad[@]} replayed input(s) fail: ${bad[*]}"
		summarize "$work/replay.log"
		failed=1
		replay_ok=0
	fi

	# A known crash would only be found again under a new name: fix it first.
	if [ $replay_ok -eq 0 ]; then
		echo "ok - $name: fuzzing # SKIP a replayed input fails; fix that bug first"
		continue
	fi

	# 2. Fuzz on a scratch copy of the corpus.
	for f in "$corpus"/*; do
		[ -f "$f" ] && cp "$f" "$work/corpus/"
	done
	start=$(date +%s)
	"$bin" "${common[@]}" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	execs=$(final_stat "$work/fuzz.log" number_of_executed_units)
	cov=$(field "$work/fuzz.log" cov)
	ft=$(field "$work/fuzz.log" ft)
	corp=$(field "$work/fuzz.log" corp)

	artifact=""
	for a in "$work"/artifacts/crash-* "$work"/artifacts/leak-* "$work"/artifacts/timeout-* \
		"$work"/artifacts/oom-*; do
		[ -f "$a" ] && { artifact=$a; break; }
	done
	if [ $rc -eq 0 ] && [ -z "$artifact" ]; then
		echo "ok - $name: ${execs:-0} execs in $elapsed s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
		continue
	fi
	failed=1
	if [ -n "$artifact" ]; then
		kind=$(basename "$artifact" | sed 's/-[0-9a-f]*$//')
		mkdir -p "$regress"
		saved=$regress/$kind-$(sha1sum <"$artifact" | cut -c1-40)
		cp "$artifact" "$saved"
		echo "not ok - $name: $kind after ${execs:-?} execs, input saved to $saved"
		echo "# input ($(wc -c <"$artifact") bytes, hex): $(head -c 128 "$artifact" | od -An -tx1 -v | tr -d ' \n')"
	else
		echo "not ok - $name: libFuzzer exited $rc without an artifact"
		tail -5 "$work/fuzz.log" | sed 's/^/# /'
	fi
	summarize "$work/fuzz.log"
done

exit $failed
