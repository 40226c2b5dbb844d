# A PostgreSQL server of the test's own (Debian's postgresql), for the
# mgmtd scripts: started as user postgres in $T/pg on a Unix socket only
# (no TCP port), stopped by pg_stop (call it from the EXIT trap, or use
# pg_cleanup as the trap: pg_stop, then lib.sh's cleanup).
#
#   pg_start          PGBIN, PGDIR set; bails when there is no server
#   pg_createdb NAME  a database; its libpq URL is pg_url NAME
#   pg_sql NAME SQL   psql -At on it
#   pg_stop
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PGDIR=""
PG_STARTED=0

pg_start() {
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || bail "no PostgreSQL server (apt-get install postgresql)"
	id postgres >/dev/null 2>&1 || bail "no user postgres"
	PGDIR=$T/pg
	mkdir -p "$PGDIR" && chown postgres "$PGDIR" && chmod 755 "$T"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >"$T/initdb.log" 2>&1 ||
		bail "initdb: $(tail -3 "$T/initdb.log")"
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
		-o "-c listen_addresses='' -k $PGDIR" start >/dev/null 2>&1 ||
		bail "postgres did not start: $(tail -3 "$PGDIR/log")"
	PG_STARTED=1
	ALL_LOGS+=("$PGDIR/log")
}
pg_createdb() { runuser -u postgres -- "$PGBIN/createdb" -h "$PGDIR" "$1"; }
pg_url() { echo "postgresql:///$1?host=$PGDIR&user=postgres"; }
pg_sql() { runuser -u postgres -- psql -h "$PGDIR" -d "$1" -Atc "$2"; }
pg_stop() {
	[ "$PG_STARTED" = 1 ] &&
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1
	PG_STARTED=0
}
# The EXIT trap of a script with a server: pg_stop, then lib.sh's cleanup
# with the script's own exit status (cleanup exits with the $? it is
# entered with, which pg_stop would otherwise have reset to 0).
pg_cleanup() {
	local rc=$?
	pg_stop
	(exit "$rc")
	cleanup
}
