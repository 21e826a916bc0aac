#!/usr/bin/env bash
# Backup benchmark: the bot's `backup` (pg_dump -Fc -Z0 → zstd → S3, streamed) against
#   floor   pg_dump -Fc -Z0 > /dev/null                (what pg_dump alone costs)
#   anchor  pg_dump -Fc | aws s3 cp - s3://BUCKET/KEY  (the usual cron pipeline)
#   info    pg_dump -Fc -Z1 > file                     (pg_dump's fastest own gzip)
# on a generated PostgreSQL database (lab/seed), all against the same local PostgreSQL 15
# and versitygw (S3) on 127.0.0.1. Variants run interleaved RUNS times; medians are
# reported with the budgets: bot time ≤ 0.7 × anchor, ≤ 1.6 × floor, object ≤ anchor's,
# peak RSS ≤ 64 MiB; then one `backup verify` of the last backup, timed. Exits 0 whether or not the budgets are met; non-zero if a step broke.
#
# Usage (from anywhere): bash bench/backup/run.sh
#   DB_MB=1600      size of the generated database (MB of table data)
#   RUNS=3          runs of each variant
#   BENCH_DIR=/var/tmp/tootops-bench   kept: pgdata/ (the generated cluster, reused when it
#                   already holds ≥ DB_MB); everything else lives in a per-run directory
#                   there and is removed at the end
#   COMPRESSION=default   the bot's [backup] compression
#   TLS=1           versitygw over HTTPS with a self-signed certificate, as production S3
#                   is: the SDK (like awscli) then sends parts unsigned, TLS protecting
#                   them, instead of hashing every part for the signature as over HTTP
#   KEEP=1          leave PostgreSQL, versitygw and the run directory up at the end
#   REF=REV         also build the bot at git revision REV and run it in every round right
#                   after this one (its own state and S3 prefix): old and new side by side
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

DB_MB=${DB_MB:-1600}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/var/tmp/tootops-bench}
COMPRESSION=${COMPRESSION:-default}
KEEP=${KEEP:-0}
TLS=${TLS:-0}
REF=${REF:-}
PGBIN=/usr/lib/postgresql/15/bin
AWS=/usr/bin/aws
DB=bench
BUCKET=bench
export PATH="$PGBIN:$PATH" # the same pg_dump for all (Debian's /usr/bin/pg_dump is a wrapper)

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
# show FILE: print the end of a log file on failure.
show() { [ -s "$1" ] && { echo "--- $1 (last 40 lines) ---" >&2; tail -n 40 "$1" >&2; echo "---" >&2; }; true; }

[[ $DB_MB =~ ^[0-9]+$ && $DB_MB -gt 0 ]] || die "DB_MB must be a positive integer, got '$DB_MB'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || die "RUNS must be a positive integer, got '$RUNS'"
[ "$(id -u)" = 0 ] || die "run as root (PostgreSQL is started as the postgres user with runuser)"
[ -x "$PGBIN/pg_dump" ] || die "PostgreSQL 15 not found in $PGBIN (apt-get install postgresql-15)"
id postgres >/dev/null 2>&1 || die "no postgres OS user"
if [ ! -x "$AWS" ]; then
	log "installing awscli (no $AWS)"
	apt-get install -y awscli >/dev/null || die "apt-get install -y awscli"
fi
if [ ! -x /usr/bin/time ]; then
	log "installing time (no /usr/bin/time)"
	apt-get install -y time >/dev/null || die "apt-get install -y time"
fi
VGW=${TOOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tootops}/bin/versitygw
[ -x "$VGW" ] || VGW=$(command -v versitygw) || die "versitygw not found; run 'make setup'"

# free_port prints a TCP port nobody listens on at 127.0.0.1 (racy, but fine here).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	die "no free port found"
}
# now prints seconds since the epoch with nanoseconds.
now() { date +%s.%N; }
# sub A B / div A B / mul A B: float arithmetic.
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b==0) print "inf"; else printf "%.2f", a/b}'; }
# median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
# verdict VALUE LIMIT: "ok" if VALUE ≤ LIMIT, else "FAIL".
verdict() { awk -v a="$1" -v b="$2" 'BEGIN{ print (a+0 <= b+0) ? "ok" : "OVER BUDGET" }'; }
mb() { awk -v b="$1" 'BEGIN{printf "%.0f MB", b/1e6}'; }

mkdir -p "$BENCH_DIR"
PGDATA=$BENCH_DIR/pgdata
work=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
chmod 755 "$BENCH_DIR" "$work"
vgw_pid=
pg_started=
cleanup() {
	local rc=$?
	if [ "$KEEP" = 1 ]; then
		echo "KEEP=1: PostgreSQL on 127.0.0.1:${PGPORT:-?} (data $PGDATA), versitygw on ${S3_ENDPOINT:-?} (pid ${vgw_pid:-?}), run dir $work" >&2
		echo "  stop them: kill ${vgw_pid:-?}; runuser -u postgres -- $PGBIN/pg_ctl -D $PGDATA stop -m fast" >&2
		exit "$rc"
	fi
	if [ -n "$vgw_pid" ]; then kill "$vgw_pid" 2>/dev/null || true; wait "$vgw_pid" 2>/dev/null || true; fi
	if [ -n "$pg_started" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" stop -m fast -w >/dev/null 2>&1 ||
			{ [ -f "$PGDATA/postmaster.pid" ] && kill "$(head -n1 "$PGDATA/postmaster.pid")" 2>/dev/null; } || true
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the bot -------------------------------------------------------------------------
log "building the bot"
CGO_ENABLED=0 go build -trimpath -o "$work/bot" ./cmd/bot 2>"$work/build.log" || { show "$work/build.log"; die "go build ./cmd/bot"; }
if [ -n "$REF" ]; then
	log "building the bot at $REF (REF)"
	git worktree add -q --detach "$work/ref-src" "$REF" 2>"$work/build.log" || { show "$work/build.log"; die "git worktree add $REF"; }
	(cd "$work/ref-src" && CGO_ENABLED=0 go build -trimpath -o "$work/ref-bot" ./cmd/bot) 2>"$work/build.log" ||
		{ show "$work/build.log"; die "go build ./cmd/bot at $REF"; }
	ref_name=$(git rev-parse --short "$REF")
	git worktree remove --force "$work/ref-src"
fi

# ---- PostgreSQL ------------------------------------------------------------------------
PGPORT=$(free_port)
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=$DB
if [ ! -f "$PGDATA/PG_VERSION" ]; then
	log "initdb $PGDATA"
	rm -rf "$PGDATA"
	install -d -o postgres -g postgres -m 700 "$PGDATA"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
		{ show "$work/initdb.log"; die "initdb"; }
fi
if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
	log "a PostgreSQL from an earlier KEEP=1 run is up on $PGDATA: stopping it"
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" stop -m fast -w >/dev/null || die "stop the old PostgreSQL on $PGDATA"
fi
install -d -o postgres -g postgres -m 755 "$work/pg" # socket and log: written by postgres
log "starting PostgreSQL on 127.0.0.1:$PGPORT"
pg_started=1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$work/pg/postgres.log" -w -t 120 start \
	-o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$work/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min" \
	>"$work/pg/ctl.log" 2>&1 || { show "$work/pg/postgres.log"; show "$work/pg/ctl.log"; die "start PostgreSQL"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'select 1' >/dev/null || die "cannot connect to PostgreSQL on 127.0.0.1:$PGPORT"
PGVER=$(psql -X -At -d postgres -c 'show server_version' | awk '{print $1}')

# table_bytes prints the sum of pg_table_size over the user tables of $DB (0 if no database).
table_bytes() {
	if [ "$(psql -X -At -d postgres -c "select count(*) from pg_database where datname='$DB'")" != 1 ]; then echo 0; return; fi
	psql -X -At -c "select coalesce(sum(pg_table_size(c.oid)),0) from pg_class c join pg_namespace n on n.oid=c.relnamespace
		where c.relkind in ('r','m','p') and n.nspname not in ('pg_catalog','information_schema') and n.nspname not like 'pg_toast%'"
}
# seed MB: (re)creates $DB from lab/seed -mb MB; sets have.
seed() {
	local t0 s
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'set client_min_messages=warning' -c "drop database if exists $DB" -c "create database $DB" >/dev/null ||
		die "create database $DB"
	log "generating database $DB: lab/seed -mb $1 | psql (takes minutes)"
	t0=$(now)
	if ! "$work/seed" -mb "$1" 2>"$work/seed.err" | psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >"$work/seed.log" 2>&1; then
		show "$work/seed.err"; show "$work/seed.log"; die "generating the database (lab/seed -mb $1 | psql)"
	fi
	psql -X -q -d "$DB" -c 'vacuum analyze' >/dev/null || die "vacuum analyze"
	psql -X -q -d postgres -c checkpoint >/dev/null || die "checkpoint"
	s=$(sub "$(now)" "$t0")
	have=$(table_bytes)
	log "generated: $(mb "$have") of tables in $(printf '%.0f' "$s") s"
	gen_log+="lab/seed -mb $1: $(mb "$have") in $(printf '%.0f' "$s") s; "
}
# The database is reused when it holds at least 97% of DB_MB (decimal MB, pg_table_size).
want=$((DB_MB * 1000000))
enough=$((want / 100 * 97))
have=$(table_bytes)
if [ "$have" -ge "$enough" ]; then
	log "reusing database $DB in $PGDATA: $(mb "$have") of tables"
else
	if [ ! -f lab/seed/main.go ]; then
		log "waiting for lab/seed/main.go (polling every 30 s, up to 20 minutes)"
		for _ in $(seq 40); do sleep 30; [ -f lab/seed/main.go ] && break; done
		[ -f lab/seed/main.go ] || die "lab/seed/main.go still missing after 20 minutes"
	fi
	go build -o "$work/seed" ./lab/seed 2>"$work/seed-build.log" || { show "$work/seed-build.log"; die "go build ./lab/seed"; }
	rm -f "$BENCH_DIR/seeded.txt"
	gen_log=
	gen_t0=$(now)
	seed "$DB_MB"
	if [ "$have" -lt "$enough" ]; then
		# lab/seed's -mb is approximate: scale it by what came out and generate again, once.
		m=$(awk -v m="$DB_MB" -v w="$want" -v h="$have" 'BEGIN{printf "%d", m*w*1.02/h + 1}')
		log "$(mb "$have") is short of $DB_MB MB: generating again with -mb $m"
		seed "$m"
	fi
	[ "$have" -ge "$enough" ] || die "lab/seed made only $(mb "$have") of tables for DB_MB=$DB_MB"
	echo "generated $(date -Is) in $(printf '%.0f' "$(sub "$(now)" "$gen_t0")") s: ${gen_log%; }" >"$BENCH_DIR/seeded.txt"
fi
[ "$have" -gt 0 ] || die "database $DB has no table data"

# ---- versitygw -------------------------------------------------------------------------
S3PORT=$(free_port)
S3_ENDPOINT=http://127.0.0.1:$S3PORT
mkdir -p "$work/s3/root" "$work/s3/meta"
tls_args=() ca_line=
if [ "$TLS" = 1 ]; then
	S3_ENDPOINT=https://127.0.0.1:$S3PORT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$work/s3/key.pem" -out "$work/s3/cert.pem" >"$work/openssl.log" 2>&1 ||
		{ show "$work/openssl.log"; die "openssl: self-signed certificate"; }
	tls_args=(--cert "$work/s3/cert.pem" --key "$work/s3/key.pem")
	export AWS_CA_BUNDLE=$work/s3/cert.pem
	ca_line="ca_file = \"$work/s3/cert.pem\""
fi
export AWS_ACCESS_KEY_ID=BENCH$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
export AWS_SECRET_ACCESS_KEY=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_PAGER=
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
log "starting versitygw on $S3_ENDPOINT"
env -u VGW_PORT ROOT_ACCESS_KEY="$AWS_ACCESS_KEY_ID" ROOT_SECRET_KEY="$AWS_SECRET_ACCESS_KEY" \
	"$VGW" --port "127.0.0.1:$S3PORT" --quiet --region us-east-1 "${tls_args[@]}" posix --sidecar "$work/s3/meta" "$work/s3/root" \
	>"$work/versitygw.log" 2>&1 &
vgw_pid=$!
for i in $(seq 150); do
	curl -s -o /dev/null ${AWS_CA_BUNDLE:+--cacert "$AWS_CA_BUNDLE"} "$S3_ENDPOINT/" && break
	kill -0 "$vgw_pid" 2>/dev/null || { show "$work/versitygw.log"; die "versitygw exited"; }
	[ "$i" = 150 ] && { show "$work/versitygw.log"; die "versitygw not answering on $S3_ENDPOINT after 15 s"; }
	sleep 0.1
done
s3() { "$AWS" --endpoint-url "$S3_ENDPOINT" "$@"; }
s3 s3 mb "s3://$BUCKET" >"$work/mb.log" 2>&1 || { show "$work/mb.log"; die "aws s3 mb s3://$BUCKET"; }

cat >"$work/bench.toml" <<TOML
[admins]
accounts = ["bench@localhost"]
[backup]
database = "$DB"
source = "host"
compression = "$COMPRESSION"
[backup.retention]
daily = 1
weekly = 0
monthly = 0
[backup.host]
address = "127.0.0.1:$PGPORT"
user = "postgres"
[backup.s3]
endpoint = "$S3_ENDPOINT"
region = "us-east-1"
bucket = "$BUCKET"
prefix = "tootops"
path_style = true
$ca_line
[state]
path = "$work/state.db"
[log]
level = "warn"
TOML
sed -e "s|^prefix = .*|prefix = \"ref\"|" -e "s|^path = .*state.db\"|path = \"$work/ref-state.db\"|" "$work/bench.toml" >"$work/ref.toml"
export TOOTOPS_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID TOOTOPS_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

# ---- the variants ----------------------------------------------------------------------
# Each prints "SECONDS [BYTES [RSS_KIB]]" on stdout; floor and bot also write the CPU time
# the whole machine spent meanwhile to $work/cpu (CPU-seconds, all processes: PostgreSQL,
# pg_dump, the bot, versitygw). Over 2 cores a run cannot take less than half of that.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; } # non-idle jiffies
cpu_since() { awk -v a="$1" -v b="$(busy)" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", (b-a)/hz}' >"$work/cpu"; }
floor() { # also records pg_dump's own peak RSS, to tell it apart from the bot's
	local b0
	b0=$(busy)
	/usr/bin/time -o "$work/t" -f '%e %M' pg_dump -Fc -Z0 "$DB" >/dev/null 2>"$work/floor.err" ||
		{ show "$work/floor.err"; die "floor: pg_dump -Fc -Z0 > /dev/null"; }
	cpu_since "$b0"
	read -r s kib <"$work/t"
	echo "$s 0 $kib"
}
anchor() {
	local key=anchor/$DB-$1.dump t0 s size
	t0=$(now)
	if ! pg_dump -Fc "$DB" 2>"$work/anchor.err" | s3 s3 cp --only-show-errors - "s3://$BUCKET/$key" >>"$work/anchor.err" 2>&1; then
		show "$work/anchor.err"; die "anchor: pg_dump -Fc | aws s3 cp -"
	fi
	s=$(sub "$(now)" "$t0")
	size=$(s3 s3api head-object --bucket "$BUCKET" --key "$key" --query ContentLength --output text 2>>"$work/anchor.err") ||
		{ show "$work/anchor.err"; die "anchor: head-object $key"; }
	s3 s3 rm --only-show-errors "s3://$BUCKET/$key" >/dev/null 2>&1 || true
	echo "$s $size"
}
info() {
	local t0 s size
	t0=$(now)
	pg_dump -Fc -Z1 "$DB" >"$work/z1.dump" 2>"$work/info.err" || { show "$work/info.err"; die "info: pg_dump -Fc -Z1 > file"; }
	s=$(sub "$(now)" "$t0")
	size=$(stat -c %s "$work/z1.dump")
	rm -f "$work/z1.dump"
	echo "$s $size"
}
# bot RUN [BINARY CONFIG PREFIX]: the bot's backup, by default this checkout's.
bot() {
	local out=$work/bot-$1.out s kib key size b0 bin=${2:-$work/bot} cfg=${3:-$work/bench.toml} prefix=${4:-tootops}
	b0=$(busy)
	if ! printf 'backup\n' | /usr/bin/time -o "$work/t" -f '%e %M' "$bin" console --config "$cfg" >"$out" 2>&1 ||
		! grep -q 'Backup OK:' "$out"; then
		echo "--- bot output (run $1), verbatim ---" >&2; cat "$out" >&2; echo "---" >&2
		die "tootops backup: no 'Backup OK:' line"
	fi
	cpu_since "$b0"
	read -r s kib <"$work/t"
	key=$(s3 s3 ls --recursive "s3://$BUCKET/$prefix/" 2>"$work/ls.err" | awk '$4 ~ /\.dump$/ {print $4}' | sort | tail -n1) ||
		{ show "$work/ls.err"; die "aws s3 ls after the bot's backup"; }
	[ -n "$key" ] || { cat "$out" >&2; die "the bot said OK but no .dump is under s3://$BUCKET/$prefix/"; }
	size=$(s3 s3api head-object --bucket "$BUCKET" --key "$key" --query ContentLength --output text 2>"$work/ls.err") ||
		{ show "$work/ls.err"; die "head-object $key"; }
	echo "$s $size $kib"
}

# run_bot RUN / run_ref RUN: one backup by this checkout's bot / REF's, recorded.
run_bot() {
	local s b k
	bot "$1" >"$work/r"; read -r s b k <"$work/r"; b_s+=("$s") b_b+=("$b") b_rss+=("$k") b_cpu+=("$(cat "$work/cpu")") b_rf+=("$(div "$s" "$fs")")
	log "run $1/$RUNS bot    ${s} s $(mb "$b") $((k / 1024)) MiB $(cat "$work/cpu") CPU-s; $(grep -m1 'Backup OK:' "$work/bot-$1.out" | sed 's/^.*Backup OK:/Backup OK:/')"
}
run_ref() {
	local s b k
	bot "ref-$1" "$work/ref-bot" "$work/ref.toml" ref >"$work/r"; read -r s b k <"$work/r"
	r_s+=("$s") r_b+=("$b") r_rss+=("$k") r_cpu+=("$(cat "$work/cpu")") r_rf+=("$(div "$s" "$fs")")
	log "run $1/$RUNS ref    ${s} s $(mb "$b") $((k / 1024)) MiB $(cat "$work/cpu") CPU-s ($ref_name)"
}

log "warm-up: one unmeasured pg_dump -Fc -Z0 > /dev/null"
floor >/dev/null
declare -a f_s=() f_rss=() f_cpu=() a_s=() a_b=() i_s=() i_b=() b_s=() b_b=() b_rss=() b_cpu=() b_rf=()
declare -a r_s=() r_b=() r_rss=() r_cpu=() r_rf=()
for r in $(seq "$RUNS"); do
	floor >"$work/r"; read -r s _ k <"$work/r"; f_s+=("$s") f_rss+=("$k") f_cpu+=("$(cat "$work/cpu")")
	fs=$s
	log "run $r/$RUNS floor  ${s} s"
	anchor "$r" >"$work/r"; read -r s b <"$work/r"; a_s+=("$s") a_b+=("$b")
	log "run $r/$RUNS anchor ${s} s $(mb "$b")"
	info >"$work/r"; read -r s b <"$work/r"; i_s+=("$s") i_b+=("$b")
	log "run $r/$RUNS info   ${s} s $(mb "$b")"
	# With REF, the two bots take turns at going first, so neither always follows the other.
	if [ -n "$REF" ] && [ $((r % 2)) = 0 ]; then run_ref "$r"; run_bot "$r"; else run_bot "$r"; [ -z "$REF" ] || run_ref "$r"; fi
done

# The last backup, proven: downloaded, decompressed and restored into a scratch database
# that is dropped afterwards, row counts compared with the dump's (once: it takes minutes).
log "verify: backup verify of the last backup"
if ! printf 'backup verify\n' | /usr/bin/time -o "$work/t" -f '%e %M' "$work/bot" console --config "$work/bench.toml" >"$work/verify.out" 2>&1 ||
	! grep -q 'restore check OK' "$work/verify.out"; then
	echo "--- bot output (verify), verbatim ---" >&2; cat "$work/verify.out" >&2; echo "---" >&2
	die "tootops backup verify: no 'restore check OK' line"
fi
read -r V VK <"$work/t"
log "verify ${V} s $((VK / 1024)) MiB; $(grep -m1 'restore check OK' "$work/verify.out" | sed 's/^.*restore check OK/restore check OK/')"

F=$(median "${f_s[@]}"); FR=$(median "${f_rss[@]}")
A=$(median "${a_s[@]}"); AB=$(median "${a_b[@]}")
I=$(median "${i_s[@]}"); IB=$(median "${i_b[@]}")
T=$(median "${b_s[@]}"); TB=$(median "${b_b[@]}"); TR=$(median "${b_rss[@]}")
TRmax=$(printf '%s\n' "${b_rss[@]}" | sort -g | tail -n1)
RSS_MIB=$(awk -v k="$TRmax" 'BEGIN{printf "%.0f", k/1024}')
rt_a=$(div "$T" "$A"); rt_f=$(div "$T" "$F"); rs_a=$(div "$TB" "$AB")

echo
printf 'database %s: %s GB of tables (pg_table_size), PostgreSQL %s; %s runs each, medians; %s CPUs; S3 %s\n' \
	"$DB" "$(awk -v b="$have" 'BEGIN{printf "%.2f", b/1e9}')" "$PGVER" "$RUNS" "$(nproc)" "${S3_ENDPOINT%%:*}"
[ -f "$BENCH_DIR/seeded.txt" ] && echo "  ($(cat "$BENCH_DIR/seeded.txt"))"
printf '%-44s %7.1f s   pg_dump peak RSS %s MiB\n' "floor   pg_dump -Fc -Z0 > /dev/null" "$F" "$(awk -v k="$FR" 'BEGIN{printf "%.0f", k/1024}')"
printf '%-44s %7.1f s   object %s\n' "anchor  pg_dump -Fc | aws s3 cp -" "$A" "$(mb "$AB")"
printf '%-44s %7.1f s   file %s   (info)\n' "info    pg_dump -Fc -Z1 > file" "$I" "$(mb "$IB")"
printf '%-44s %7.1f s   object %s   peak RSS %s MiB (max of runs; median %s)\n' \
	"tootops backup (zstd $COMPRESSION, streamed)" "$T" "$(mb "$TB")" "$RSS_MIB" "$(awk -v k="$TR" 'BEGIN{printf "%.0f", k/1024}')"
printf '%-44s %7.1f s   peak RSS %s MiB   (%s)\n' "tootops backup verify (restore, compare)" "$V" "$((VK / 1024))" \
	"$(grep -m1 -o 'restore check OK: [^;]*; [^;]*' "$work/verify.out" | sed 's/^restore check OK: //')"
printf 'all runs (s): floor %s · anchor %s · info %s · tootops %s\n' "${f_s[*]}" "${a_s[*]}" "${i_s[*]}" "${b_s[*]}"
printf 'ratios: time tootops/anchor %s (≤ 0.70 %s) · time tootops/floor %s (≤ 1.60 %s) · size tootops/anchor %s (≤ 1.00 %s) · RSS %s MiB (≤ 64 %s)\n' \
	"$rt_a" "$(verdict "$rt_a" 0.70)" "$rt_f" "$(verdict "$rt_f" 1.60)" "$rs_a" "$(verdict "$rs_a" 1.00)" "$RSS_MIB" "$(verdict "$RSS_MIB" 64)"
printf 'info:   pg_dump -Z1 file / tootops: time %s, size %s\n' \
	"$(div "$I" "$T")" "$(div "$IB" "$TB")"
# The floor drifts with the machine's other load; a ratio within one round (the floor run
# just before the bot's) cancels slow drift.
printf 'per round: tootops/floor %s · median %s\n' "${b_rf[*]}" "$(median "${b_rf[@]}")"
printf 'CPU-seconds, whole machine (medians): floor %s · tootops %s, so at least %s s on %s cores\n' \
	"$(median "${f_cpu[@]}")" "$(median "${b_cpu[@]}")" "$(awk -v c="$(median "${b_cpu[@]}")" -v n="$(nproc)" 'BEGIN{printf "%.1f", c/n}')" "$(nproc)"
if [ -n "$REF" ]; then
	RT=$(median "${r_s[@]}")
	printf 'ref %s: %s s (runs %s), object %s, peak RSS %s MiB, %s CPU-s · per round ref/floor %s · median %s · tootops/ref %s\n' \
		"$ref_name" "$RT" "${r_s[*]}" "$(mb "$(median "${r_b[@]}")")" "$(awk -v k="$(median "${r_rss[@]}")" 'BEGIN{printf "%.0f", k/1024}')" \
		"$(median "${r_cpu[@]}")" "${r_rf[*]}" "$(median "${r_rf[@]}")" "$(div "$T" "$RT")"
fi
