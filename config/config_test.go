package config_test

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.err and *.golden from the current output")

// noEnv keeps tests independent of the real environment.
var noEnv = config.ParseOptions{Getenv: func(string) string { return "" }}

// env returns options whose environment is exactly vars.
func env(vars map[string]string) config.ParseOptions {
	return config.ParseOptions{Getenv: func(k string) string { return vars[k] }}
}

func parse(t *testing.T, opts config.ParseOptions, dir, doc string) (*config.Config, error) {
	t.Helper()
	return opts.Parse(strings.NewReader(doc), dir)
}

func mustParse(t *testing.T, opts config.ParseOptions, dir, doc string) *config.Config {
	t.Helper()
	c, err := parse(t, opts, dir, doc)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := noEnv.Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml must load with no edits:\n%v", err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	abs, _ := filepath.Abs("../config.example.toml")
	if got, want := c.Path(), abs; got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if c.Mastodon == nil || c.Compose == nil || c.Backup == nil {
		t.Fatalf("example must enable mastodon, compose and backup: %+v", c)
	}
	if c.Mastodon.AccessToken.IsSet() {
		t.Error("example must not set a token")
	}
	if err := c.RequireMastodonToken(); err == nil {
		t.Error("RequireMastodonToken() = nil for the example, want a problem")
	}
	// The rendering is reviewed as a golden file, with the machine's path
	// replaced so the file is stable.
	golden(t, "example.golden", strings.ReplaceAll(c.String(), filepath.Dir(abs), "$REPO"))
}

// TestExampleLoadsWithRealEnv guards the fresh-clone promise: the example
// loads through the plain Load too.
func TestExampleLoadsWithRealEnv(t *testing.T) {
	for _, k := range []string{"TOOTOPS_MASTODON_ACCESS_TOKEN", "TOOTOPS_S3_ACCESS_KEY_ID", "TOOTOPS_S3_SECRET_ACCESS_KEY", "TOOTOPS_DATABASE_PASSWORD", "TOOTOPS_LOG_LEVEL"} {
		t.Setenv(k, "")
	}
	if _, err := config.Load("../config.example.toml"); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultValidates(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.Mastodon != nil || c.Compose != nil || c.Backup != nil {
		t.Errorf("optional sections must be nil by default: %+v", c)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	c := mustParse(t, noEnv, "", "")
	d := config.Default()
	if got, want := c.String(), d.String(); got != want {
		t.Errorf("empty file:\n%s\nwant Default():\n%s", got, want)
	}
}

func TestPresentSectionGetsDefaults(t *testing.T) {
	c := mustParse(t, noEnv, "", `
[mastodon]
server = "https://Social.Example.COOP/"
[compose]
project = "mastodon"
[backup.s3]
bucket = "b"
prefix = "backups/db/"
`)
	tests := []struct {
		name      string
		got, want any
	}{
		{"mastodon.server normalized", c.Mastodon.Server, "https://social.example.coop"},
		{"mastodon.stale_after", c.Mastodon.StaleAfter.D(), 10 * time.Minute},
		{"backup.database", c.Backup.Database, "mastodon_production"},
		{"backup.source", c.Backup.Source, "exec"},
		{"backup.schedule", c.Backup.Schedule, config.CronSpec("")},
		{"backup.host.address", c.Backup.Host.Address, "127.0.0.1:5432"},
		{"backup.host.user", c.Backup.Host.User, "postgres"},
		{"backup.s3.region", c.Backup.S3.Region, "us-east-1"},
		{"backup.s3.prefix trimmed", c.Backup.S3.Prefix, "backups/db"},
		{"confirm.window", c.Confirm.Window.D(), 2 * time.Minute},
		{"schedule.catch_up", c.Schedule.CatchUp.D(), time.Hour},
		{"log.level", c.Log.Level, "info"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestAccountsNormalized(t *testing.T) {
	c := mustParse(t, noEnv, "", `
[admins]
accounts = ["@Alice@Social.Example.COOP", "bob_2@example.org:8443"]
`)
	got := strings.Join(c.Admins.Accounts, ",")
	if want := "Alice@social.example.coop,bob_2@example.org:8443"; got != want {
		t.Errorf("accounts = %s, want %s", got, want)
	}
}

func TestRelativePathsResolveAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `
[mastodon]
server = "https://social.example.coop"
access_token_file = "token"
[state]
path = "data/tootops.db"
`
	c := mustParse(t, noEnv, dir, doc)
	if got, want := c.State.Path, filepath.Join(dir, "data", "tootops.db"); got != want {
		t.Errorf("state.path = %q, want %q", got, want)
	}
	if got, want := c.Mastodon.AccessTokenFile, filepath.Join(dir, "token"); got != want {
		t.Errorf("access_token_file = %q, want %q", got, want)
	}
	if got, want := c.Mastodon.AccessToken.Source(), "file "+filepath.Join(dir, "token"); got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}

	// The default state path resolves too, and absolute paths stay.
	c = mustParse(t, noEnv, dir, "")
	if got, want := c.State.Path, filepath.Join(dir, "tootops.db"); got != want {
		t.Errorf("default state.path = %q, want %q", got, want)
	}
	c = mustParse(t, noEnv, dir, "[state]\npath = \"/var/lib/tootops/tootops.db\"\n")
	if got, want := c.State.Path, "/var/lib/tootops/tootops.db"; got != want {
		t.Errorf("absolute state.path = %q, want %q", got, want)
	}

	// Load uses the file's directory, whatever the working directory.
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, err := noEnv.Load(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.State.Path, filepath.Join(dir, "data", "tootops.db"); got != want {
		t.Errorf("loaded state.path = %q, want %q", got, want)
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := config.Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
	if got, want := err.Error(), "config file "+path+": file does not exist"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestRequireMastodonToken(t *testing.T) {
	const server = "[mastodon]\nserver = \"https://social.example.coop\"\n"
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want string
	}{
		{"no section", "", nil, `mastodon: required to connect to Mastodon: add a [mastodon] section with server = "https://…" and the bot account's access token`},
		{"no token", server, nil, "mastodon.access_token: required to connect to Mastodon: set access_token, access_token_file (a file holding the token) or the TOOTOPS_MASTODON_ACCESS_TOKEN environment variable to the bot account's token (Preferences > Development > New application)"},
		{"inline", server + "access_token = \"t\"\n", nil, ""},
		{"env", server, map[string]string{"TOOTOPS_MASTODON_ACCESS_TOKEN": "t"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, env(tt.env), "", tt.doc)
			got := ""
			if err := c.RequireMastodonToken(); err != nil {
				var ps config.Problems
				if !errors.As(err, &ps) {
					t.Fatalf("error %T is not Problems", err)
				}
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLogLevelEnv(t *testing.T) {
	tests := []struct {
		env, file string
		want      string
		wantErr   string
	}{
		{"", "", "info", ""},
		{"", "warn", "warn", ""},
		{"DEBUG", "warn", "debug", ""},
		{"trace", "", "trace", ""},
		{"verbose", "warn", "", `log.level: environment variable TOOTOPS_LOG_LEVEL: expected one of trace, debug, info, warn, error, got "verbose"`},
	}
	for _, tt := range tests {
		doc := ""
		if tt.file != "" {
			doc = "[log]\nlevel = \"" + tt.file + "\"\n"
		}
		c, err := parse(t, env(map[string]string{"TOOTOPS_LOG_LEVEL": tt.env}), "", doc)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("env %q: error = %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("env %q: %v", tt.env, err)
		}
		if got := c.Log.Level; got != tt.want {
			t.Errorf("env %q file %q: level = %q, want %q", tt.env, tt.file, got, tt.want)
		}
	}
}

// TestValidateAfterEdit covers configs built or changed in code.
func TestValidateAfterEdit(t *testing.T) {
	c := config.Default()
	c.Backup = &config.Backup{Source: "host", Host: config.BackupHost{Address: "db:5432", User: "postgres"}}
	c.Log.Level = "loud"
	err := c.Validate()
	want := `backup.database: required: the database name such as "mastodon_production"
backup.s3.bucket: required when [backup] is enabled
backup.s3.region: required: the region such as "us-east-1" or "fra1"
log.level: expected one of trace, debug, info, warn, error, got "loud"`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) != 4 || ps[1].Key != "backup.s3.bucket" {
		t.Errorf("Problems = %#v", ps)
	}
}

func TestJobsSection(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(`
[jobs]
keep = 20
[jobs.timeouts]
backup = "2h"
"media cleanup" = "90m"
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Jobs.Timeouts["media cleanup"].D(); got != 90*time.Minute {
		t.Errorf("media cleanup timeout = %v", got)
	}
	if got := cfg.Jobs.Timeouts["backup"].D(); got != 2*time.Hour || cfg.Jobs.Keep != 20 {
		t.Errorf("jobs = %+v", cfg.Jobs)
	}
	_, err = config.Parse(strings.NewReader(`
[jobs]
keep = 0
[jobs.timeouts]
backup = 5
"media cleanup" = "0s"
`), t.TempDir())
	want := `jobs.keep: expected a number of jobs of 1 or more such as 500, got 0
jobs.timeouts.backup: expected a duration such as "10m" or "2h30m", got integer 5
jobs.timeouts."media cleanup": expected a duration greater than 0 such as "10m", got "0s"`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestAnnounceAndRefusal(t *testing.T) {
	dir := t.TempDir()
	const tok1, tok2 = "boost-token-one-never-shown", "boost-token-two-never-shown"
	if err := os.WriteFile(filepath.Join(dir, "boost"), []byte("# admins\n"+tok1+"\n\n  "+tok2+"  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(strings.NewReader(`
[admins]
accounts = ["alice@example.org"]
refusal = "polite"
[announce]
visibility = "unlisted"
boost_tokens_file = "boost"
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	toks := cfg.Announce.BoostTokens()
	if cfg.Admins.Refusal != "polite" || cfg.Announce.Visibility != "unlisted" || len(toks) != 2 || toks[0].Reveal() != tok1 || toks[1].Reveal() != tok2 {
		t.Fatalf("admins %+v, announce %+v, %d tokens", cfg.Admins, cfg.Announce, len(toks))
	}
	for _, out := range []string{cfg.String(), fmt.Sprintf("%+v %#v", cfg, cfg.Announce)} {
		if strings.Contains(out, tok1) || strings.Contains(out, tok2) {
			t.Errorf("a boost token was printed: %s", out)
		}
	}
	_, err = config.Parse(strings.NewReader(`
[admins]
accounts = ["alice@example.org"]
refusal = "rude"
[announce]
visibility = "direct"
boost_tokens_file = "missing"
`), dir)
	want := `admins.refusal: expected one of silent, polite, got "rude"
announce.visibility: expected one of public, unlisted, got "direct"
announce.boost_tokens_file: expected a readable file with one access token per line: stat ` + filepath.Join(dir, "missing") + `: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}
