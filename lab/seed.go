package lab

import (
	"fmt"
	"strings"
)

// SeedTables lists the tables SeedSQL creates and fills, schema-qualified as pg_dump and
// psql's \dt name them; "blocks" stays empty.
var SeedTables = []string{
	"public.accounts",
	"public.statuses",
	"public.media_attachments",
	"public.blocks",
	`"lab extras"."Odd Texts"`,
}

// seedBytesPerRow is the table data (heap and TOAST, not indexes) SeedSQL makes per row,
// measured with pg_table_size: see SeedRowsForMB.
const seedBytesPerRow = 420

// SeedRowsForMB is the rows of SeedSQL that make about mb MB of table data (heap and
// TOAST; the indexes add about a third on top).
func SeedRowsForMB(mb int) int {
	return max(1, int(int64(mb)<<20/seedBytesPerRow))
}

// SeedSQL returns SQL that creates a small Mastodon-shaped database and fills it on the
// server (INSERT … SELECT over generate_series, no per-row round trips), so that its size
// scales with rows, the number of statuses:
//
//   - accounts (rows/20, a jsonb column), statuses (rows, toot-like text, HTML for remote
//     ones), media_attachments (rows/4, jsonb and bytea columns), with primary keys,
//     indexes, foreign keys and a sequence, all made after the data as pg_restore does;
//   - blocks, empty;
//   - "lab extras"."Odd Texts", quoted identifiers in a schema of their own, whose text
//     has tabs, backslashes, newlines, carriage returns, \N and \. lines, quotes, NULL,
//     and non-ASCII, so that COPY's escaping is exercised.
//
// The text is made of sentences drawn from a word list with a skewed (Zipf-like)
// frequency, plus mentions, hashtags and links with ids, and compresses roughly like real
// toots: neither random nor repeated. The same rows give the same data. The SQL has no
// psql meta-commands: psql -f, psql -c and any driver run it.
func SeedSQL(rows int) string {
	rows = max(rows, 1)
	accounts := max(rows/20, 1)
	pool := min(max(rows, 256), 100_000)
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("-- tootops lab seed: %d statuses, %d accounts\n", rows, accounts)
	p("SET client_min_messages = warning;\n")
	p("SET synchronous_commit = off;\n")
	p("DO $$ BEGIN PERFORM setseed(0.42); END $$;\n\n")

	// Sentences, drawn once: a status is one to three of them, picked by hashes of its id.
	p("CREATE TEMP TABLE lab_sentences AS\nSELECT n, upper(left(s.w, 1)) || substr(s.w, 2) || (ARRAY['.', '.', '.', '!', '?', ' :)', '…'])[1 + n %% 7] AS t\n")
	p("FROM generate_series(0, %d) n,\n", pool-1)
	p("LATERAL (SELECT string_agg(w.words[1 + floor(random() * %d)::int + 0 * j], ' ') AS w\n", len(seedVocab()))
	p("  FROM (SELECT %s::text[] AS words) w, generate_series(1, 3 + (n * 7 + n / 7) %% 14) j) s;\n", arrayLiteral(seedVocab()))
	p("CREATE TEMP TABLE lab_tags AS SELECT n, t FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n);\n", arrayLiteral(seedTags))
	p("ALTER TABLE lab_sentences ADD PRIMARY KEY (n);\nANALYZE lab_sentences, lab_tags;\n\n")

	p(`CREATE TABLE accounts (
  id bigint NOT NULL,
  username character varying NOT NULL DEFAULT '',
  domain character varying,
  display_name character varying NOT NULL DEFAULT '',
  note text NOT NULL DEFAULT '',
  fields jsonb,
  locked boolean NOT NULL DEFAULT false,
  discoverable boolean,
  created_at timestamp without time zone NOT NULL,
  updated_at timestamp without time zone NOT NULL
);
`)
	p(`INSERT INTO accounts
SELECT 109000000000000000 + a::bigint * 65536, 'user' || a,
  CASE WHEN a %% 3 = 0 THEN NULL ELSE 'remote' || a %% 97 || '.example' END,
  s.t, '<p>' || s.t || ' ' || n.t || '</p>',
  jsonb_build_array(jsonb_build_object('name', 'Website', 'value', 'https://blog' || a || '.example/'),
    jsonb_build_object('name', 'Pronouns', 'value', (ARRAY['she/her', 'he/him', 'they/them', 'any'])[1 + a %% 4])),
  a %% 11 = 0, a %% 4 <> 0,
  timestamp '2022-11-01' + a * interval '17 minutes', timestamp '2024-06-01' + a * interval '3 minutes'
FROM generate_series(1, %[1]d) a
JOIN lab_sentences s ON s.n = abs(hashint8(a) %% %[2]d)
JOIN lab_sentences n ON n.n = abs(hashint8extended(a, 1) %% %[2]d);

`, accounts, pool)

	p(`CREATE SEQUENCE statuses_id_seq;
CREATE TABLE statuses (
  id bigint NOT NULL DEFAULT nextval('statuses_id_seq'),
  uri character varying,
  text text NOT NULL DEFAULT '',
  created_at timestamp without time zone NOT NULL,
  updated_at timestamp without time zone NOT NULL,
  in_reply_to_id bigint,
  reblog_of_id bigint,
  url character varying,
  sensitive boolean NOT NULL DEFAULT false,
  visibility integer NOT NULL DEFAULT 0,
  spoiler_text text NOT NULL DEFAULT '',
  reply boolean NOT NULL DEFAULT false,
  language character varying,
  local boolean,
  account_id bigint NOT NULL
);
ALTER SEQUENCE statuses_id_seq OWNED BY statuses.id;
`)
	// Remote statuses (two in three) carry HTML and their URI; one in four mentions an
	// account, one in five has a hashtag, one in seven a link with an id in it.
	p(`INSERT INTO statuses (id, uri, text, created_at, updated_at, in_reply_to_id, url, sensitive,
  visibility, spoiler_text, reply, language, local, account_id)
SELECT 109300000000000000 + i::bigint * 65536,
  CASE WHEN i %% 3 <> 0 THEN 'https://remote' || acct %% 97 || '.example/users/user' || acct || '/statuses/' || (109300000000000000 + i::bigint * 65536) END,
  CASE WHEN i %% 3 <> 0 THEN '<p>' || body || '</p>' ELSE body END,
  ts, ts + (i %% 5) * interval '1 minute',
  CASE WHEN i %% 6 = 0 AND i > 1 THEN 109300000000000000 + (i - 1)::bigint * 65536 END,
  CASE WHEN i %% 3 <> 0 THEN 'https://remote' || acct %% 97 || '.example/@user' || acct || '/' || i END,
  i %% 29 = 0, (i %% 10 = 0)::int * 2, CASE WHEN i %% 29 = 0 THEN 'cw: ' || s1.t ELSE '' END,
  i %% 6 = 0, (ARRAY['en', 'en', 'en', 'de', 'fr', 'ja', 'es', NULL])[1 + i %% 8], i %% 3 = 0, 109000000000000000 + acct::bigint * 65536
FROM generate_series(1, %[1]d) i
JOIN lab_sentences s1 ON s1.n = abs(hashint8(i) %% %[2]d)
JOIN lab_sentences s2 ON s2.n = abs(hashint8extended(i, 1) %% %[2]d)
JOIN lab_sentences s3 ON s3.n = abs(hashint8extended(i, 2) %% %[2]d)
JOIN lab_tags tag ON tag.n = 1 + abs(hashint8extended(i, 3) %% %[3]d),
LATERAL (SELECT 1 + abs(hashint8extended(i, 4) %% %[4]d) AS acct, timestamp '2022-11-01' + i * interval '7 seconds' AS ts) x,
LATERAL (SELECT
  CASE WHEN i %% 4 = 0 THEN '@user' || (1 + abs(hashint8extended(i, 5) %% %[4]d)) || ' ' ELSE '' END
  || s1.t
  || CASE WHEN i %% 2 = 0 THEN ' ' || s2.t ELSE '' END
  || CASE WHEN i %% 5 < 2 THEN ' ' || s3.t ELSE '' END
  || CASE WHEN i %% 5 = 0 THEN ' #' || tag.t ELSE '' END
  || CASE WHEN i %% 7 = 0 THEN ' https://news' || i %% 13 || '.example/' || to_char(ts, 'YYYY/MM/') || tag.t || '-' || to_hex(abs(hashint8extended(i, 6))) ELSE '' END
  AS body) y;
DO $$ BEGIN PERFORM setval('statuses_id_seq', 109300000000000000 + %[1]d::bigint * 65536); END $$;

`, rows, pool, len(seedTags), accounts)

	p(`CREATE TABLE media_attachments (
  id bigint NOT NULL,
  status_id bigint,
  file_file_name character varying,
  file_content_type character varying,
  file_file_size integer,
  remote_url character varying NOT NULL DEFAULT '',
  created_at timestamp without time zone NOT NULL,
  shortcode character varying,
  type integer NOT NULL DEFAULT 0,
  file_meta json,
  account_id bigint,
  description text,
  blurhash character varying,
  file_sha256 bytea
);
INSERT INTO media_attachments
SELECT 109500000000000000 + m::bigint * 65536, 109300000000000000 + st::bigint * 65536,
  to_hex(abs(hashint8(m))) || '.' || ext, 'image/' || ext, 20000 + abs(hashint8extended(m, 1) %% 4000000),
  CASE WHEN st %% 3 <> 0 THEN 'https://files.remote' || st %% 97 || '.example/media/' || to_hex(abs(hashint8(m))) || '.' || ext ELSE '' END,
  timestamp '2022-11-01' + st * interval '7 seconds',
  CASE WHEN st %% 3 = 0 THEN md5(m::text) END, 0,
  json_build_object('original', json_build_object('width', w, 'height', h, 'size', w || 'x' || h, 'aspect', round(w::numeric / h, 4)),
    'small', json_build_object('width', 640, 'height', 640 * h / w, 'size', '640x' || 640 * h / w), 'focus', json_build_object('x', 0.0, 'y', 0.0)),
  109000000000000000 + (1 + abs(hashint8extended(st, 4) %% %[3]d))::bigint * 65536,
  CASE WHEN m %% 3 <> 0 THEN 'A photo: ' || d.t END,
  'U' || left(md5(m::text), 27), sha256(m::text::bytea)
FROM generate_series(1, %[1]d) m
JOIN lab_sentences d ON d.n = abs(hashint8extended(m, 2) %% %[2]d),
LATERAL (SELECT 1 + abs(hashint8extended(m, 7) %% %[4]d) AS st, (ARRAY['jpeg', 'png', 'webp', 'gif'])[1 + m %% 4] AS ext,
  (ARRAY[1024, 1280, 1920, 3024])[1 + m %% 4] AS w, (ARRAY[768, 1280, 1080, 4032])[1 + m %% 3] AS h) x;

`, max(rows/4, 1), pool, accounts, rows)

	p(`CREATE TABLE blocks (
  id bigint NOT NULL,
  account_id bigint NOT NULL,
  target_account_id bigint NOT NULL,
  created_at timestamp without time zone NOT NULL,
  uri character varying
);

`)

	p(`CREATE SCHEMA "lab extras";
CREATE TABLE "lab extras"."Odd Texts" (
  id integer NOT NULL,
  "Body" text,
  "select" text,
  "Data" bytea,
  "Meta" jsonb
);
INSERT INTO "lab extras"."Odd Texts" VALUES
`)
	for i, s := range seedOddTexts {
		p("  (%d, %s, %s, %s, %s)", i+1, literal(s), literal(strings.ToUpper(s)),
			"convert_to("+literal(s)+", 'UTF8')", "jsonb_build_object('s', "+literal(s)+")")
		if i < len(seedOddTexts)-1 {
			p(",\n")
		}
	}
	p(`,
  (%d, NULL, '', '\x'::bytea, NULL),
  (%d, repeat('long line of text ', 2000), repeat(E'\t\\\n', 2000), decode(repeat('00ff', 2000), 'hex'), '[]');
INSERT INTO "lab extras"."Odd Texts"
SELECT 1000 + k, 'row ' || k || E'\tcol\\tab\\\\ back\\slash\nline two é ü 🐘 ' || s.t,
  E'\\N is not NULL; \\. is not the end\r\n' || k, decode(md5(k::text) || '00ff5c0a0d09', 'hex'), jsonb_build_object('k', k, 'tab', E'\t', 'nl', E'\n')
FROM generate_series(1, %d) k JOIN lab_sentences s ON s.n = k %% %d;

`, len(seedOddTexts)+1, len(seedOddTexts)+2, max(rows/50, 1), pool)

	p(`ALTER TABLE ONLY accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY statuses ADD CONSTRAINT statuses_pkey PRIMARY KEY (id);
ALTER TABLE ONLY media_attachments ADD CONSTRAINT media_attachments_pkey PRIMARY KEY (id);
ALTER TABLE ONLY blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY "lab extras"."Odd Texts" ADD CONSTRAINT "Odd Texts_pkey" PRIMARY KEY (id);
CREATE UNIQUE INDEX index_accounts_on_username_and_domain_lower ON accounts (lower(username), COALESCE(lower(domain), ''));
CREATE INDEX index_statuses_20190820 ON statuses (account_id, id DESC, visibility, updated_at);
CREATE INDEX index_media_attachments_on_status_id ON media_attachments (status_id);
ALTER TABLE ONLY statuses ADD CONSTRAINT fk_9bda1543f7 FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE;
ALTER TABLE ONLY media_attachments ADD CONSTRAINT fk_96dd81e81b FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL;
ALTER TABLE ONLY media_attachments ADD CONSTRAINT fk_rails_3ec0cfdd70 FOREIGN KEY (status_id) REFERENCES statuses(id) ON DELETE SET NULL;
ALTER TABLE ONLY blocks ADD CONSTRAINT fk_4269e03e65 FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE;
DROP TABLE lab_sentences, lab_tags;
ANALYZE;
`)
	return b.String()
}

// literal quotes s as an SQL string literal (standard_conforming_strings, on by default
// since PostgreSQL 9.1: backslashes are plain characters).
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func arrayLiteral(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = literal(s)
	}
	return "ARRAY[" + strings.Join(q, ",") + "]"
}

// seedOddTexts are the fixed rows of "lab extras"."Odd Texts": what COPY has to escape.
var seedOddTexts = []string{
	"tab\there, two\t\ttabs",
	`back\slash, double \\ and trailing \`,
	"new\nline, and CR LF\r\nend",
	`\N`,
	`\.`,
	"\\.\nafter the end-of-data marker of COPY text",
	"",
	" leading and trailing spaces ",
	`it's "quoted" and 'single'`,
	"Grüße aus Köln, ça va? ñandú, Ærø",
	"日本語のトゥート、한국어, 中文",
	"emoji 🐘🦣 ZWJ 👩‍💻 flag 🇪🇺",
	"עברית ועוד العربية right to left",
	"combining e\u0301 vs é, NBSP\u00a0here, zero\u200bwidth",
	"a,b;c|d\"e'f\x01\x7f control",
}

var seedTags = []string{
	"fediverse", "mastodon", "photography", "caturday", "introduction", "opensource", "linux",
	"art", "music", "books", "science", "climate", "gardening", "coffee", "birds", "til",
	"programming", "golang", "postgresql", "selfhosting", "news", "cycling", "food", "hiking",
}

// seedWords are frequent words in order of frequency, the fediverse's own among them;
// seedVocab repeats them to follow Zipf's law roughly.
var seedWords = strings.Fields(`
the to and a of I in is it you that for this on my be with have just but not are so was
at like can if all what about do we one it's me they will as from your get out up an or
today time new people more now some good know there think really by how when would been
no has make day see them had going here our also thing still because first very
much only want back other way who need their post today's server instance toot boost
follow timeline fediverse mastodon admin moderation federation hashtag thread reply
followers account photo picture weather morning evening night week weekend year work home
coffee tea book reading music song album walk cat dog bird garden rain sun snow city
train bike open source code bug release update version database backup docker linux
great nice cool awesome thanks thank please sorry maybe probably actually definitely
love hate happy sad tired busy quiet loud long short small big little old young free
right left next last few many every each both another same different sure true false
read write watch look listen play try start stop find keep give take come go went made
said says feel felt seem seems use used using help working learning trying building
people's world's life everything nothing something someone anyone everyone always never
again already almost enough less least most often once quite rather soon together yet
where why which while though through during before after since until without within
should could might must shall may can't don't won't isn't wasn't didn't doesn't
news article link video stream podcast blog website page site browser app phone computer
community friends family neighbours colleagues folks everybody team project idea question
answer problem solution story history future present past moment minute hour month
café naïve Grüße über déjà vu jalapeño Zürich façade señor
`)

// seedVocab is seedWords with the word of rank r repeated about 40/r times.
func seedVocab() []string {
	var v []string
	for r, w := range seedWords {
		for range max(1, 40/(r+1)) {
			v = append(v, w)
		}
	}
	return v
}
