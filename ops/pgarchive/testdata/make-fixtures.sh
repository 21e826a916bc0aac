#!/bin/sh
# Regenerates the archive fixtures and their true row counts with a throwaway
# PostgreSQL cluster (unix socket only). Run as root or as a user that may run postgres:
#   sh ops/pgarchive/testdata/make-fixtures.sh [/usr/lib/postgresql/15/bin]
set -eu
bin=${1:-/usr/lib/postgresql/15/bin}
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/pgarchive-fixtures.XXXXXX)
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
as_pg "$bin/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o "-c listen_addresses= -k $tmp -c fsync=off" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null; rm -rf "$tmp"' EXIT
psql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp" -U postgres "$@"; }
psql -c 'create database fixture'
psql -d fixture >/dev/null <<'SQL'
create table accounts (id bigint primary key, username text not null, note text, created_at timestamptz not null);
insert into accounts select g, 'user' || g, case when g % 7 = 0 then null else 'note ' || g end,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' from generate_series(1, 600) g;
create table empty_table (id int, v text);
create table weird_text (id int primary key, body text);
insert into weird_text values
  (1, E'tab\there'), (2, E'back\\slash'), (3, E'multi\nline\ntext'), (4, E'crlf\r\nend'),
  (5, 'héllo wörld ✓ 日本語 🐘'), (6, ''), (7, NULL), (8, E'\\.'), (9, '.'),
  (10, E'ends with newline\n'), (11, E'\\N'), (12, E'\n\n\n');
create table single_text (v text);
insert into single_text values (''), (''), (E'\\.'), ('');
create table nocols ();
insert into nocols select from generate_series(1, 3);
create table media (id int primary key, data bytea);
insert into media values (1, '\x00010203ff0a0d5c'::bytea), (2, decode(repeat('0a', 50), 'hex')), (3, NULL);
create table "MixedCase Table" ("Id" int, "Value" text);
insert into "MixedCase Table" select g, 'v' || g from generate_series(1, 25) g;
create schema archive;
create table archive.statuses (id bigint, account_id bigint, text text);
insert into archive.statuses select g, g % 50, 'status number ' || g || E'\nwith a second line' from generate_series(1, 300) g;
create table parted (id int, k int) partition by range (k);
create table parted_a partition of parted for values from (0) to (100);
create table parted_b partition of parted for values from (100) to (200);
insert into parted select g, g * 5 % 200 from generate_series(1, 40) g;
create sequence seq_x;
select setval('seq_x', 42);
create materialized view mv_accounts as select id from accounts where id < 10;
select lo_from_bytea(0, convert_to(E'large object payload with a newline\nand more', 'UTF8'));
select lo_from_bytea(0, decode(repeat('41', 3000), 'hex'));
SQL
# Through a pipe, as the bot streams it (the TOC keeps unset data offsets).
"$bin/pg_dump" -h "$tmp" -U postgres -Fc -Z0 fixture | cat >"$out/fixture_z0.dump"
# To a seekable file: pg_dump rewrites the TOC with data offsets at the end.
"$bin/pg_dump" -h "$tmp" -U postgres -Fc -Z0 -f "$out/fixture_z0_file.dump" fixture
# Default compression: tables are listed, rows cannot be counted.
"$bin/pg_dump" -h "$tmp" -U postgres -Fc fixture | cat >"$out/fixture_gzip.dump"
# INSERT statements instead of COPY: rows cannot be counted.
"$bin/pg_dump" -h "$tmp" -U postgres -Fc -Z0 --inserts -t weird_text fixture | cat >"$out/fixture_inserts.dump"
psql -d fixture -At >"$out/fixture_rows.json" <<'SQL'
select jsonb_pretty(jsonb_object_agg(n.nspname || '.' || c.relname,
  (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint))
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema');
SQL
"$bin/pg_dump" --version >"$out/fixture_pg_version.txt"
