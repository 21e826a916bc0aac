package main

// rails db:migrate, db:migrate:status and db:version against the db stand-in (db.go), at
// DB_HOST:DB_PORT (default db:5432). Each lab version brings a fixed list of migrations,
// pre-deployment (db/migrate) and post-deployment (db/post_migrate); a version knows its
// own and every older version's. As upstream (config/initializers/
// 0_post_deployment_migrations.rb), SKIP_POST_DEPLOYMENT_MIGRATIONS set to anything, even
// "false", leaves the post-deployment ones out.

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migration is one migration file of a lab version.
type migration struct {
	ID      string // 20261101000000_add_lab_column
	Post    bool   // in db/post_migrate
	Version string // the release that brings it
	Steps   []string
}

// catalogue lists every lab version's migrations; keep README.md in step.
var catalogue = []migration{
	{"20250905000000_create_lab_notes", false, "4.5.0", []string{"create_table(:lab_notes)", "add_index(:lab_notes, :account_id)"}},
	{"20250905000001_backfill_lab_notes", true, "4.5.0", []string{`execute("INSERT INTO lab_notes (account_id) SELECT id FROM accounts")`}},
	{"20261101000000_add_lab_column", false, "4.5.1", []string{"add_column(:accounts, :lab, :boolean, {default: false, null: false})"}},
	{"20261101000001_backfill_lab_column", true, "4.5.1", []string{`execute("UPDATE accounts SET lab = TRUE WHERE id IN (SELECT account_id FROM lab_notes)")`}},
}

func (m migration) phase() string {
	if m.Post {
		return "post"
	}
	return "pre"
}

func (m migration) number() string { return strings.SplitN(m.ID, "_", 2)[0] }

// className is the migration's class: AddLabColumn.
func (m migration) className() string {
	words := strings.Split(m.ID, "_")[1:]
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, "")
}

// humanName is db:migrate:status's name: Add lab column.
func (m migration) humanName() string {
	s := strings.Join(strings.Split(m.ID, "_")[1:], " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m migration) file() string {
	dir := "migrate"
	if m.Post {
		dir = "post_migrate"
	}
	return "/opt/mastodon/db/" + dir + "/" + m.ID + ".rb"
}

// known lists the migrations Mastodon v has, in the order Rails runs them.
func known(v string) []migration {
	var ms []migration
	for _, m := range catalogue {
		if compareVersions(m.Version, v) <= 0 {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b migration) int { return strings.Compare(a.ID, b.ID) })
	return ms
}

// compareVersions compares the numeric parts of two versions: 4.5.1 > 4.5.0-beta.1 = 4.5.0.
func compareVersions(a, b string) int {
	parse := func(s string) []int {
		s = strings.TrimPrefix(s, "v")
		if i := strings.IndexAny(s, "-+"); i >= 0 {
			s = s[:i]
		}
		var out []int
		for p := range strings.SplitSeq(s, ".") {
			n, _ := strconv.Atoi(p)
			out = append(out, n)
		}
		return out
	}
	return slices.Compare(parse(a), parse(b))
}

func skipPost() bool {
	_, ok := os.LookupEnv("SKIP_POST_DEPLOYMENT_MIGRATIONS")
	return ok
}

// migrationsPath is what Rails looks at: the post-deployment ones only without
// SKIP_POST_DEPLOYMENT_MIGRATIONS.
func migrationsPath() []migration {
	ms := known(version())
	if skipPost() {
		ms = slices.DeleteFunc(ms, func(m migration) bool { return m.Post })
	}
	return ms
}

func rails(args []string) int {
	switch cmd := strings.Join(args, " "); cmd {
	case "db:migrate":
		return dbMigrate()
	case "db:migrate:status":
		return dbMigrateStatus()
	case "db:version":
		return dbVersion()
	default:
		fmt.Fprintf(os.Stderr, "rails: unknown command %q\n", cmd)
		return 1
	}
}

// connectDB connects as ActiveRecord would, failing the way it does.
func connectDB() (*dbConn, []applied, bool) {
	host, port := envOr("DB_HOST", "db"), envOr("DB_PORT", "5432")
	d, err := dialDB(net.JoinHostPort(host, port))
	var rows []applied
	if err == nil {
		rows, err = d.migrated()
		if err != nil {
			d.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rails aborted!")
		fmt.Fprintf(os.Stderr, "ActiveRecord::ConnectionNotEstablished: connection to server at %q, port %s failed: %v (ActiveRecord::ConnectionNotEstablished)\n", host, port, err)
		fmt.Fprintln(os.Stderr, "\tIs the server running on that host and accepting TCP/IP connections?")
		fmt.Fprintln(os.Stderr, "Tasks: TOP => db:migrate => db:load_config")
		fmt.Fprintln(os.Stderr, "(See full trace by running task with --trace)")
		return nil, nil, false
	}
	return d, rows, true
}

// announce prints a migration header as ActiveRecord::Migration#announce does.
func announce(m migration, msg string) {
	text := m.number() + " " + m.className() + ": " + msg
	fmt.Printf("== %s %s\n", text, strings.Repeat("=", max(0, 75-len(text))))
}

// dbMigrate runs the pending migrations in order, each recorded by the db before the next
// starts; the first failure stops it with Rails' message and exit status 1.
func dbMigrate() int {
	d, rows, ok := connectDB()
	if !ok {
		return 1
	}
	defer d.Close()
	done := map[string]bool{}
	for _, r := range rows {
		done[r.ID] = true
	}
	for _, m := range migrationsPath() {
		if done[m.ID] {
			continue
		}
		start := time.Now()
		announce(m, "migrating")
		for _, s := range m.Steps {
			fmt.Printf("-- %s\n", s)
			fmt.Printf("   -> %.4fs\n", time.Since(start).Seconds())
		}
		ans, err := d.ask("MIGRATE " + m.ID + " " + m.phase() + " " + version())
		if err != nil {
			ans = "ERR PG::ConnectionBad: PQconsumeInput() server closed the connection unexpectedly: " + err.Error()
		}
		if msg, failed := strings.CutPrefix(ans, "ERR "); failed {
			class := "ActiveRecord::StatementInvalid"
			switch {
			case strings.HasPrefix(msg, "PG::LockNotAvailable"):
				class = "ActiveRecord::LockWaitTimeout"
			case strings.HasPrefix(msg, "PG::QueryCanceled"):
				class = "ActiveRecord::QueryCanceled"
			case strings.HasPrefix(msg, "PG::UniqueViolation"):
				class = "ActiveRecord::RecordNotUnique"
			case strings.HasPrefix(msg, "PG::ConnectionBad"):
				class = "ActiveRecord::ConnectionNotEstablished"
			}
			e := os.Stderr
			fmt.Fprintln(e, "rails aborted!")
			fmt.Fprintln(e, "StandardError: An error has occurred, this and all later migrations canceled: (StandardError)")
			fmt.Fprintln(e)
			fmt.Fprintln(e, msg)
			fmt.Fprintf(e, "%s:7:in `change'\n", m.file())
			fmt.Fprintln(e)
			fmt.Fprintln(e, "Caused by:")
			fmt.Fprintf(e, "%s: %s (%s)\n", class, msg, class)
			fmt.Fprintf(e, "%s:7:in `change'\n", m.file())
			fmt.Fprintln(e, "Tasks: TOP => db:migrate")
			fmt.Fprintln(e, "(See full trace by running task with --trace)")
			return 1
		}
		announce(m, fmt.Sprintf("migrated (%.4fs)", time.Since(start).Seconds()))
		fmt.Println()
	}
	return 0
}

// dbMigrateStatus prints Rails' table: every migration Rails knows of, and applied ones it
// has no file for.
func dbMigrateStatus() int {
	d, rows, ok := connectDB()
	if !ok {
		return 1
	}
	d.Close()
	type line struct{ status, number, name string }
	var lines []line
	up := map[string]bool{}
	for _, r := range rows {
		up[r.ID] = true
	}
	files := map[string]bool{}
	for _, m := range migrationsPath() {
		files[m.ID] = true
		st := "down"
		if up[m.ID] {
			st = "up"
		}
		lines = append(lines, line{st, m.number(), m.humanName()})
	}
	for _, r := range rows {
		if !files[r.ID] {
			lines = append(lines, line{"up", strings.SplitN(r.ID, "_", 2)[0], "********** NO FILE **********"})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.number, b.number) })
	center := func(s string, n int) string {
		l := (n - len(s)) / 2
		return strings.Repeat(" ", l) + s + strings.Repeat(" ", n-len(s)-l)
	}
	fmt.Printf("\ndatabase: %s\n\n", envOr("DB_NAME", "mastodon_production"))
	fmt.Printf("%s  %-14s  Migration Name\n", center("Status", 8), "Migration ID")
	fmt.Println(strings.Repeat("-", 50))
	for _, l := range lines {
		fmt.Printf("%s  %-14s  %s\n", center(l.status, 8), l.number, l.name)
	}
	fmt.Println()
	return 0
}

// dbVersion prints the newest applied migration, as `rails db:version` does.
func dbVersion() int {
	d, rows, ok := connectDB()
	if !ok {
		return 1
	}
	d.Close()
	v := "0"
	for _, r := range rows {
		if n := strings.SplitN(r.ID, "_", 2)[0]; n > v {
			v = n
		}
	}
	fmt.Printf("Current version: %s\n", v)
	return 0
}
