package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/lab"
)

// backupConfig writes a config whose [backup] dumps a throwaway PostgreSQL cluster of
// this host into a versitygw bucket, both real, with the secrets in the environment.
func backupConfig(t *testing.T, pg *lab.PG, s3 *lab.S3Server, extra string) string {
	t.Helper()
	t.Setenv("TOOTOPS_S3_ACCESS_KEY_ID", s3.AccessKey)
	t.Setenv("TOOTOPS_S3_SECRET_ACCESS_KEY", s3.SecretKey)
	t.Setenv("TOOTOPS_DATABASE_PASSWORD", pg.Password)
	t.Setenv("PATH", pg.BinDir+":"+os.Getenv("PATH"))
	return writeConfig(t, fmt.Sprintf(`
[admins]
accounts = ["admin@social.example.coop"]
[backup]
database = "mastodon_production"
source = "host"
%s
[backup.host]
address = %q
user = %q
[backup.s3]
endpoint = %q
bucket = %q
path_style = true
[log]
level = "debug"
format = "json"
`, extra, pg.Addr(), pg.User, s3.Endpoint, s3.Bucket))
}

// TestConsoleBackupCommands drives the backup commands from the console, end to end:
// backup, status, list, restore check, restore help and `bot check`, and looks for the
// secrets in everything the bot wrote.
func TestConsoleBackupCommands(t *testing.T) {
	pg := lab.Postgres(t)
	pg.CreateDB(t, "mastodon_production")
	pg.Psql(t, "mastodon_production", lab.SeedSQL(3000))
	s3 := lab.S3(t, lab.S3Options{})
	path := backupConfig(t, pg, s3, "")

	var out, errOut syncBuffer
	in := "backup\nbackups\nbackup verify\nbackups\nbackup status\n"
	if err := dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatalf("console: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Backup OK: mastodon_production \d[\d.]* [kM]B → \d[\d.]* [kM]B in [\d.]+m?s; no restore check yet; 1 backups kept`),
		regexp.MustCompile(`latest 1 backups of mastodon_production .*\n· 20\d\d-\d\d-\d\d \d\d:\d\dZ \(just now\) [\d.]+ [kM]B in [\d.]+m?s — tootops/mastodon_production/20\d\d/\d\d/mastodon_production-\d{8}T\d{6}Z\.dump`),
		regexp.MustCompile(`restore check OK: tootops/mastodon_production/\S+ restored into a scratch database in [\d.]+m?s; \d+ tables, [\d,]+ rows match the dump; SHA-256 matches; scratch database tootops_verify_\w+ dropped`),
		regexp.MustCompile(`\n✓ 20\d\d-\d\d-\d\d`),
		regexp.MustCompile(`no backup running; last: ✓ `),
	} {
		if !want.MatchString(got) {
			t.Errorf("console output lacks %s:\n%s", want, got)
		}
	}
	key := regexp.MustCompile(`tootops/mastodon_production/\d{4}/\d\d/mastodon_production-\d{8}T\d{6}Z\.dump`).FindString(got)
	out = syncBuffer{}
	if err := dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader("backup restore-command "+key+"\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pg_restore") || !strings.Contains(out.String(), "s3://"+s3.Bucket+"/"+key) {
		t.Errorf("restore-command:\n%s", out.String())
	}

	var check syncBuffer
	if err := dispatch(context.Background(), []string{"check", "--config", path}, strings.NewReader(""), &check, &errOut); err != nil {
		t.Errorf("check: %v\n%s", err, check.String())
	}
	for _, want := range []string{"✓ backup mastodon_production: database mastodon_production on PostgreSQL 15", "✓ s3 " + s3.Bucket + ": bucket " + s3.Bucket + " accepts multipart uploads"} {
		if !strings.Contains(check.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, check.String())
		}
	}

	all := out.String() + got + errOut.String() + check.String()
	for name, secret := range map[string]string{"S3 secret key": s3.SecretKey, "S3 access key": s3.AccessKey, "database password": pg.Password} {
		if strings.Contains(all, secret) {
			t.Errorf("the %s appears in the bot's output or log", name)
		}
	}
}

// TestBackupRefusesWrongCredentialsPlainly: a wrong S3 secret and a wrong database
// password each give a short answer that names the problem and shows neither secret.
func TestBackupRefusesWrongCredentialsPlainly(t *testing.T) {
	pg := lab.Postgres(t)
	pg.CreateDB(t, "mastodon_production")
	s3 := lab.S3(t, lab.S3Options{})
	path := backupConfig(t, pg, s3, "")
	t.Setenv("TOOTOPS_S3_SECRET_ACCESS_KEY", "wrong-secret-Zq81")
	t.Setenv("TOOTOPS_DATABASE_PASSWORD", "wrong-password-Kx77")
	var out, errOut syncBuffer
	_ = dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader("backup\n"), &out, &errOut)
	if !strings.Contains(out.String(), "cannot reach database mastodon_production") || !strings.Contains(out.String(), "password authentication failed") {
		t.Errorf("wrong password answer:\n%s", out.String())
	}
	t.Setenv("TOOTOPS_DATABASE_PASSWORD", pg.Password)
	out = syncBuffer{}
	_ = dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader("backup\n"), &out, &errOut)
	if !strings.Contains(out.String(), "backup failed") || !strings.Contains(strings.ToLower(out.String()), "credentials") {
		t.Errorf("wrong S3 secret answer:\n%s", out.String())
	}
	all := out.String() + errOut.String()
	for _, secret := range []string{"wrong-secret-Zq81", "wrong-password-Kx77", pg.Password, s3.AccessKey} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q shown", secret)
		}
	}
}

// TestBackupSchedules: [backup] schedule runs `backup` and reports it with
// report_visibility, failures alerting the admins; verify_schedule runs `backup verify`.
func TestBackupSchedules(t *testing.T) {
	path := writeConfig(t, `
[admins]
accounts = ["admin@social.example.coop"]
[compose]
project = "mastodon"
[backup]
schedule = "0 3 * * *"
verify_schedule = "0 5 * * 0"
report_visibility = "private"
[backup.s3]
bucket = "b"
`)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", schedules(cfg))
	want := "[{Name:backup Spec:0 3 * * * Line:backup Report:private AlertFailure:true} {Name:backup verify Spec:0 5 * * 0 Line:backup verify Report: AlertFailure:true}]"
	if got != want {
		t.Errorf("schedules = %s\nwant        %s", got, want)
	}
}

// TestBackupOverTLSWithCAFile: an HTTPS endpoint with a self-signed certificate is
// trusted through [backup.s3] ca_file, and refused without it.
func TestBackupOverTLSWithCAFile(t *testing.T) {
	pg := lab.Postgres(t)
	pg.CreateDB(t, "mastodon_production")
	pg.Psql(t, "mastodon_production", lab.SeedSQL(200))
	s3 := lab.S3(t, lab.S3Options{TLS: true})

	var out, errOut syncBuffer
	path := backupConfig(t, pg, s3, "")
	_ = dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader("backup\n"), &out, &errOut)
	if !strings.Contains(out.String(), "backup failed") || !strings.Contains(out.String(), "certificate") {
		t.Errorf("untrusted certificate:\n%s", out.String())
	}

	out = syncBuffer{}
	path = backupConfig(t, pg, s3, "")
	cfg := strings.Replace(readFile(t, path), "path_style = true", fmt.Sprintf("path_style = true\nca_file = %q", s3.CAFile), 1)
	path = writeConfig(t, cfg)
	if err := dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader("backup\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Backup OK") {
		t.Errorf("with ca_file:\n%s", out.String())
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
