package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
)

// Backups is what the backup commands need; *backup.Service is one.
type Backups interface {
	Database() string
	Backup(ctx context.Context, jobID uint64, p ops.Progress) (*backup.Result, error)
	Verify(ctx context.Context, key string, p ops.Progress) (*backup.VerifyResult, error)
	Running() (*backup.Live, bool)
	RestoreCommand(ctx context.Context, key string) (string, error)
	Catalogue() *backup.Catalogue
}

// backupLock keeps backups and restore checks apart: each reads the whole database, and a
// scheduled run finding one under way answers busy instead of doubling the load.
const backupLock = "backup"

const backupsGroup = "backups"

// BackupCommands returns backup, backup status, backups, backup verify and backup
// restore-command. b nil means [backup] is not configured: each command says so.
func BackupCommands(b Backups, now func() time.Time) []Command {
	if now == nil {
		now = time.Now
	}
	need := func(run Handler) Handler {
		if b == nil {
			return func(context.Context, *Request) (string, error) {
				return "", &ops.Error{Msg: "backups are not configured", Hint: "add a [backup] section to the config (see config.example.toml)"}
			}
		}
		return run
	}
	keyArg := Arg{Name: "KEY", Help: "a backup's key, as `backups` lists it", Example: "tootops/mastodon_production/2026/11/mastodon_production-20261124T030000Z.dump"}
	return []Command{
		{
			Name:    "backup",
			Group:   backupsGroup,
			Summary: "dump the database to S3 now, with live progress",
			Help: "Streams pg_dump of [backup] database through zstd into the S3 bucket, reporting bytes, rate, percent of the expected size, ETA and the table being dumped in one reply edited in place. " +
				"Nothing is written to disk, and the upload completes only when pg_dump succeeded: a failure or `cancel N` aborts it and leaves no object. " +
				"A manifest (KEY.json: size, SHA-256, versions, row counts) is stored next to the dump, and old backups are deleted per [backup.retention]. It changes nothing on the instance, so it asks no confirmation.",
			Locks:   func(*Invocation) []string { return []string{backupLock} },
			Timeout: 3 * time.Hour,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				res, err := b.Backup(ctx, req.JobID, req.Progress)
				if err != nil {
					return "", err
				}
				return backupText(b, res, now()), nil
			}),
		},
		{
			Name:    "backup status",
			Group:   backupsGroup,
			Summary: "the running backup's progress, or the last backup",
			Inline:  true,
			Run: need(func(context.Context, *Request) (string, error) {
				return backupStatus(b, now())
			}),
		},
		{
			Name:    "backups",
			Group:   backupsGroup,
			Summary: "list the latest backups with age, size, duration and restore check",
			Help:    "✓ marks a backup whose restore check passed, ✗ one whose check failed, · one not checked yet. Failed backups are listed with their reason; deleted ones are left out.",
			Args:    []Arg{{Name: "N", Kind: Int, Optional: true, Min: 1, Max: 50, Help: "how many (default 10)", Example: "5"}},
			Inline:  true,
			Run: need(func(_ context.Context, req *Request) (string, error) {
				n := 10
				if req.Inv.Has("N") {
					n = int(req.Inv.Int("N"))
				}
				return backupList(b, n, now())
			}),
		},
		{
			Name:    "backup verify",
			Group:   backupsGroup,
			Summary: "restore a backup into a scratch database and compare row counts",
			Help: "Downloads the backup (the newest when no KEY is given), restores it with pg_restore into a scratch database the bot creates on the same server and drops afterwards, checks its SHA-256 and compares every table's row count with the count taken while dumping. " +
				"The result is kept in the catalogue and the manifest; `backups` shows it. [backup] verify_schedule runs it by itself.",
			Args:    []Arg{{Name: keyArg.Name, Help: keyArg.Help, Example: keyArg.Example, Optional: true}},
			Locks:   func(*Invocation) []string { return []string{backupLock} },
			Timeout: 3 * time.Hour,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				res, err := b.Verify(ctx, req.Inv.Str("KEY"), req.Progress)
				if res == nil {
					return "", err
				}
				v := res.Verification
				if err != nil {
					return fmt.Sprintf("restore check FAILED for %s after %s: %s (scratch database %s dropped)", res.Record.Key, roundTook(v.Took), v.Detail, v.Database), err
				}
				return fmt.Sprintf("restore check OK: %s restored into a scratch database in %s; %d tables, %s rows match the dump; SHA-256 matches; scratch database %s dropped",
					res.Record.Key, roundTook(v.Took), v.Tables, ops.Thousands(v.Rows), v.Database), nil
			}),
		},
		{
			Name:    "backup restore-command",
			Group:   backupsGroup,
			Summary: "the shell commands that restore a backup by hand",
			Help:    "The bot never restores production by itself. This answers with the exact commands to download the backup, check it, restore it into a new database and swap it in.",
			Args:    []Arg{keyArg},
			Inline:  true,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				return b.RestoreCommand(ctx, req.Inv.Str("KEY"))
			}),
		},
	}
}

// backupText is the reply to a backup, and the status toot of a scheduled one:
// "Backup OK: mastodon_production 1.9 GB → 160 MB in 14s; last restore check 3 days ago; 23 backups kept".
func backupText(b Backups, res *backup.Result, now time.Time) string {
	r := res.Record
	var sb strings.Builder
	fmt.Fprintf(&sb, "Backup OK: %s %s → %s in %s", r.Database, ops.Bytes(r.RawSize), ops.Bytes(r.Size), roundTook(r.Took()))
	if v, ok, _ := b.Catalogue().LastVerified(r.Database); ok {
		fmt.Fprintf(&sb, "; last restore check %s", ops.Ago(now.Sub(v.Verify.At)))
	} else {
		sb.WriteString("; no restore check yet")
	}
	if res.Kept > 0 {
		fmt.Fprintf(&sb, "; %d backups kept", res.Kept)
		if res.Deleted > 0 {
			fmt.Fprintf(&sb, ", %d old deleted", res.Deleted)
		}
	}
	fmt.Fprintf(&sb, "\n%s (%d tables, sha256 %s…)", r.Key, r.Tables, r.SHA256[:min(12, len(r.SHA256))])
	if res.Warning != "" {
		sb.WriteString("\nwarning: " + res.Warning)
	}
	return sb.String()
}

func backupStatus(b Backups, now time.Time) (string, error) {
	if live, ok := b.Running(); ok {
		return fmt.Sprintf("backup running (job %d, %s in): %s", live.JobID, roundTook(now.Sub(live.Started)), live.Line(now)), nil
	}
	last, err := b.Catalogue().Latest(b.Database(), 1, func(r backup.Record) bool { return r.Status != backup.Deleted })
	if err != nil {
		return "", err
	}
	if len(last) == 0 {
		return "no backup running, and none made yet: send `backup`", nil
	}
	return "no backup running; last: " + recordLine(last[0], now), nil
}

func backupList(b Backups, n int, now time.Time) (string, error) {
	rs, err := b.Catalogue().Latest(b.Database(), n, func(r backup.Record) bool { return r.Status != backup.Deleted && r.Status != backup.Running })
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "no backups of " + b.Database() + " yet: send `backup`", nil
	}
	lines := []string{fmt.Sprintf("latest %d backups of %s (✓ restore check passed, ✗ failed, · not checked):", len(rs), b.Database())}
	for _, r := range rs {
		lines = append(lines, recordLine(r, now))
	}
	return strings.Join(lines, "\n"), nil
}

// recordLine is one backup in a list: mark, age, size, duration, key or reason.
func recordLine(r backup.Record, now time.Time) string {
	when := fmt.Sprintf("%s (%s)", r.Started.UTC().Format("2006-01-02 15:04Z"), ops.Ago(now.Sub(r.Started)))
	if r.Status == backup.Failed {
		return fmt.Sprintf("✗ %s FAILED: %s", when, r.Error)
	}
	mark := "·"
	if r.Verify != nil {
		mark = "✗"
		if r.Verify.OK {
			mark = "✓"
		}
	}
	return fmt.Sprintf("%s %s %s in %s — %s", mark, when, ops.Bytes(r.Size), roundTook(r.Took()), r.Key)
}
