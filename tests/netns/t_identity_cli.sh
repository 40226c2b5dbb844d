#!/usr/bin/env bash
# subnetra identity new|show|import end to end: files and exit codes only.
#
#    (no topology: these commands never talk to a daemon, and need neither
#     root nor a namespace; every file is in this run's temp dir)
#
# Asserts: new writes a 0600 file (whatever the umask) and prints the address
# and public key, never the seed; an existing file is kept (exit 1, untouched)
# unless --force; show prints what new printed and nothing secret; import of
# a Husarnet id line keeps its address (a fixed vector, and one built from a
# fresh identity); every malformed or inconsistent file is exit 1 with one
# line naming the file, the line and the field; usage errors are exit 2 with
# the usual three lines; a file others can read is shown with a warning.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUBNETRA" ] || bail "CLI not built: $SUBNETRA (make test-build)"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# The files below hold secrets, as real ones would: no warning about their mode.
umask 077
T=$(mktemp -d /tmp/subnetra-identity.XXXXXX) || bail "mktemp failed"
cd "$T" || bail "cd $T"

OUT="" ERR="" RC=0
# run CMD...: exit status in RC, stdout in OUT, stderr in ERR.
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
# refused DESC FILE ERE: show FILE is exit 1 with exactly one stderr line matching ERE.
refused() {
	run "$SUBNETRA" identity "$4" "$2" --out "$T/never"
	[ "$4" = show ] && run "$SUBNETRA" identity show "$2"
	check_eq "$1: exit 1" 1 "$RC"
	check_eq "$1: one line on stderr" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	check_match "$1: names the file and the problem" "^subnetra: $2: $3" "$ERR"
	check_eq "$1: nothing on stdout" "" "$OUT"
}

# A fixed identity (the unit test's SEED1): its SHA-256 is 00 0f 56...
SEED1=bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
PK1=83eb10f4307a5e43c8cd14abedc94110b52d9e850734b66e4c972ef991785a1d
ADDR1=fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b
PK2=b1cd6f7879cf511f98180fdc18334e14ffeb61709f775f9d814d591ed5d86b06
ADDR2=fc94:f902:2d0d:1e55:49dc:aa22:8fce:53ed

# ---- new ------------------------------------------------------------------------------

run sh -c "umask 000; exec '$SUBNETRA' identity new --out '$T/id'"
check_eq "new: exit 0" 0 "$RC"
check_eq "new: mode 0600 under umask 000" 600 "$(stat -c %a "$T/id")"
check_match "new: prints the address" '^address fc94:[0-9a-f:]+$' "$OUT"
check_match "new: prints the public key" '^public-key [0-9a-f]{64}$' "$OUT"
check_match "new: prints the file" "^file $T/id\$" "$OUT"
check_eq "new: the file has four lines" 4 "$(wc -l <"$T/id")"
check_eq "new: first line is the version" "subnetra-identity 1" "$(head -n 1 "$T/id")"
seed=$(sed -n 's/^seed //p' "$T/id")
check_match "new: the file holds the seed" '^[0-9a-f]{64}$' "$seed"
check_eq "new: the seed is not printed" "" "$(printf '%s\n' "$OUT$ERR" | grep -F "$seed")"
check_eq "new: the printed lines are the file's" "$(sed -n 2,3p "$T/id")" "$(printf '%s\n' "$OUT" | head -n 2)"
first=$OUT

before=$(md5sum <"$T/id")
run "$SUBNETRA" identity new --out "$T/id"
check_eq "new over an existing file: exit 1" 1 "$RC"
check_eq "new over an existing file: one line" "subnetra: $T/id exists; not replaced (use --force)" "$ERR"
check_eq "new over an existing file: untouched" "$before" "$(md5sum <"$T/id")"
run "$SUBNETRA" identity new --out "$T/id" --force
check_eq "new --force: exit 0" 0 "$RC"
check_eq "new --force: mode 0600" 600 "$(stat -c %a "$T/id")"
if [ "$(printf '%s\n' "$OUT" | head -n 2)" != "$(printf '%s\n' "$first" | head -n 2)" ]; then
	ok "new --force: a new identity"
else
	not_ok "new --force: a new identity"
fi
check_eq "new: no temporary file left" "id" "$(ls -A "$T" | grep -v '^out$\|^err$')"

# ---- show -----------------------------------------------------------------------------

new_out=$OUT
seed=$(sed -n 's/^seed //p' "$T/id")
run "$SUBNETRA" identity show "$T/id"
check_eq "show: exit 0" 0 "$RC"
check_eq "show: what new printed" "$new_out" "$OUT"
check_eq "show: no warning for a 0600 file" "" "$ERR"
check_eq "show: the seed is not printed" "" "$(printf '%s\n' "$OUT$ERR" | grep -F "$seed")"
cp "$T/id" "$T/open" && chmod 0644 "$T/open"
run "$SUBNETRA" identity show "$T/open"
check_eq "show of a 0644 file: exit 0" 0 "$RC"
check_match "show of a 0644 file: warns" "^subnetra: warning: $T/open is readable by other users \(mode 0644\)" "$ERR"
rm -f "$T/open"

# ---- import ---------------------------------------------------------------------------

# What `husarnet genid` writes: the address uncompressed, then pk and sk hex.
printf '%s %s %s%s\n' "$ADDR1" "$PK1" "$SEED1" "$PK1" >"$T/hid"
chmod 0600 "$T/hid"
run "$SUBNETRA" identity import "$T/hid" --out "$T/imp"
check_eq "import: exit 0" 0 "$RC"
check_match "import: keeps the address" "^address $ADDR1\$" "$OUT"
check_match "import: keeps the public key" "^public-key $PK1\$" "$OUT"
check_eq "import: mode 0600" 600 "$(stat -c %a "$T/imp")"
check_eq "import: the seed is the secret key's first half" "seed $SEED1" "$(sed -n 4p "$T/imp")"
run "$SUBNETRA" identity show "$T/imp"
check_match "import: show gives the same address" "^address $ADDR1\$" "$OUT"

# A Husarnet line built from a fresh identity of ours: the same address back.
addr=$(sed -n 's/^address //p' "$T/id")
pk=$(sed -n 's/^public-key //p' "$T/id")
printf '  %s\t%s %s%s\r\n\n' "$addr" "$pk" "$seed" "$pk" >"$T/hid2"
chmod 0600 "$T/hid2"
run "$SUBNETRA" identity import "$T/hid2" --out "$T/imp2"
check_eq "import (whitespace around): exit 0" 0 "$RC"
check_eq "import: new -> Husarnet line -> import is the same identity" "$(cat "$T/id")" "$(cat "$T/imp2")"

before=$(md5sum <"$T/imp")
run "$SUBNETRA" identity import "$T/hid2" --out "$T/imp"
check_eq "import over an existing file: exit 1" 1 "$RC"
check_eq "import over an existing file: untouched" "$before" "$(md5sum <"$T/imp")"
run "$SUBNETRA" identity import "$T/hid2" --out "$T/imp" --force
check_eq "import --force: exit 0" 0 "$RC"
check_eq "import --force: replaced" "$(cat "$T/id")" "$(cat "$T/imp")"

# ---- refused files --------------------------------------------------------------------

printf '%s %s %s%s\n' "$ADDR2" "$PK1" "$SEED1" "$PK1" >"$T/h-addr"
refused "import: another key's address" "$T/h-addr" \
	"line 1: address: $ADDR2 is not the address of this key \($ADDR1\)\$" import
printf '%s %s %s%s\n' "$ADDR1" "$PK2" "$SEED1" "$PK1" >"$T/h-pk"
refused "import: pk not the secret key's" "$T/h-pk" "line 1: public-key: does not match the secret key\$" import
printf '%s %s %s%s\n' "$ADDR1" "$PK1" "$SEED1" "$PK2" >"$T/h-sk"
refused "import: sk halves disagree" "$T/h-sk" "line 1: secret-key: its second half" import
printf '%s %s\n' "$ADDR1" "$PK1" >"$T/h-short"
refused "import: no secret key" "$T/h-short" "line 1: secret-key: missing" import
check_eq "import: nothing written for a refused file" "" "$(ls "$T/never" 2>/dev/null)"
refused "import: our own format is not a Husarnet line" "$T/id" "line 1: address: \"subnetra-identity\" is not an IPv6 address" import

sed '3s/^public-key .*/public-key '"$PK2"'/' "$T/id" >"$T/b-pk"
refused "show: public key of another seed" "$T/b-pk" "line 3: public-key: does not match the seed\$" show
sed '2s/^address .*/address '"$ADDR2"'/' "$T/id" >"$T/b-addr"
refused "show: another address" "$T/b-addr" "line 2: address: $ADDR2 is not the address of this key" show
sed '4s/^seed \(.*\).$/seed \1/' "$T/id" >"$T/b-seed"
refused "show: short seed" "$T/b-seed" "line 4: seed: expected 64 hex characters, got 63\$" show
sed '1s/1$/9/' "$T/id" >"$T/b-ver"
refused "show: unknown version" "$T/b-ver" "line 1: version \"9\" is not one this build reads" show
head -n 3 "$T/id" >"$T/b-trunc"
refused "show: truncated" "$T/b-trunc" "line 4: missing: expected 'seed <64 hex>'\$" show
: >"$T/b-empty"
refused "show: empty file" "$T/b-empty" "empty file\$" show
mkdir "$T/b-dir"
refused "show: a directory" "$T/b-dir" "a directory, not a regular file\$" show
mkfifo "$T/b-fifo"
refused "show: a FIFO (never waited on)" "$T/b-fifo" "a FIFO, not a regular file\$" show
head -c 5000 /dev/zero >"$T/b-big"
refused "show: too large" "$T/b-big" "larger than 4096 bytes" show
refused "show: missing file" "$T/nonexistent" "cannot open: No such file or directory\$" show
for f in "$T"/b-* "$T"/h-*; do
	[ -f "$f" ] || continue
	run "$SUBNETRA" identity show "$f"
	check_eq "show $(basename "$f"): no seed in any output" "" "$(printf '%s\n' "$OUT$ERR" | grep -F -e "$seed" -e "$SEED1")"
done

# ---- usage ----------------------------------------------------------------------------

for args in "identity" "identity bogus" "identity new extra" "identity new --out" \
	"identity show a b" "identity show --force" "identity import" "identity new --bogus"; do
	# shellcheck disable=SC2086 # word splitting wanted
	run "$SUBNETRA" $args
	check_eq "'$args': exit 2" 2 "$RC"
	check_match "'$args': a usage line" '^usage: subnetra identity new' "$ERR"
	check_match "'$args': points to --help" "^Try 'subnetra identity --help' for more\.\$" "$ERR"
done
run "$SUBNETRA" identity --help
check_eq "identity --help: exit 0" 0 "$RC"
check_match "identity --help: exit codes" '^exit status:' "$OUT"
check_match "identity --help: the default file" '/var/lib/subnetra/identity' "$OUT"
run "$SUBNETRA" --help
check_match "subnetra --help lists identity new" '^  identity new \[--out FILE\] \[--force\]$' "$OUT"
check_match "subnetra --help lists identity import" '^  identity import HUSARNET_ID_FILE' "$OUT"

done_testing
