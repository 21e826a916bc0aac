package backup

import (
	"context"
	"fmt"
	"strings"

	"github.com/tootops/tootops/ops"
)

// Where describes where backups come from and go, for the restore instructions.
type Where struct {
	Bucket   string
	Endpoint string // "" for AWS
	// For the exec source: the Compose project, its directory and the db service.
	Project   string
	Directory string
	Service   string
	// For the host source: host:port.
	Address string
}

// RestoreCommand returns the shell commands that restore the backup key by hand into a
// new database, then swap it in. The bot never restores production by itself: that is a
// decision for a person at a shell, and these commands make it a short one.
func (s *Service) RestoreCommand(ctx context.Context, key string) (string, error) {
	rec, err := s.record(ctx, key)
	if err != nil {
		return "", err
	}
	if rec.Status != OK {
		return "", fmt.Errorf("backup %s is %s, not a stored backup", key, rec.Status)
	}
	w := s.o.Where
	db := s.o.Database
	tmp := db + "_restore"
	file := "/var/tmp/" + key[strings.LastIndex(key, "/")+1:] + ".zst"
	endpoint := ""
	if w.Endpoint != "" {
		endpoint = " --endpoint-url " + w.Endpoint
	}
	var in, compose string
	if _, onHost := s.o.Source.(*HostSource); onHost {
		host, port, _ := strings.Cut(w.Address, ":")
		in = fmt.Sprintf("PGHOST=%s PGPORT=%s PGUSER=%s ", host, port, s.o.Source.User())
	} else {
		compose = "docker compose"
		if w.Directory != "" {
			compose += " --project-directory " + w.Directory
		}
		if w.Project != "" {
			compose += " -p " + w.Project
		}
		in = compose + " exec -T " + w.Service + " "
	}
	user := " -U " + s.o.Source.User()
	// pg_restore --no-owner makes the restoring role own everything; Mastodon's role
	// (DB_USER) must own the restored database and its tables, as it did the original.
	owner, role := "", ""
	if rec.Owner != "" && rec.Owner != s.o.Source.User() {
		owner, role = " -O "+rec.Owner, " --role="+rec.Owner
	}

	var b strings.Builder
	fmt.Fprintf(&b, "To restore %s (%s, taken %s) by hand:\n", key, ops.Bytes(rec.Size), rec.Started.UTC().Format("2006-01-02 15:04Z"))
	b.WriteString("# 1. download it and check its SHA-256 (awscli and zstd from your distribution)\n")
	fmt.Fprintf(&b, "aws s3 cp%s s3://%s/%s %s\n", endpoint, w.Bucket, key, file)
	if rec.SHA256 != "" {
		fmt.Fprintf(&b, "echo '%s  %s' | sha256sum -c\n", rec.SHA256, file)
	}
	b.WriteString("# 2. restore into a new, empty database beside the live one\n")
	fmt.Fprintf(&b, "%screatedb%s%s -T template0 %s\n", in, user, owner, tmp)
	fmt.Fprintf(&b, "zstd -dc %s | %spg_restore%s%s --no-owner --exit-on-error -d %s\n", file, in, user, role, tmp)
	b.WriteString("# 3. stop Mastodon, swap the databases, start it again\n")
	if compose != "" {
		fmt.Fprintf(&b, "%s stop web streaming sidekiq\n", compose)
	} else {
		b.WriteString("# (stop web, streaming and sidekiq)\n")
	}
	fmt.Fprintf(&b, "%spsql%s -d postgres -c 'ALTER DATABASE %s RENAME TO %s_old' -c 'ALTER DATABASE %s RENAME TO %s'\n", in, user, db, db, tmp, db)
	if compose != "" {
		fmt.Fprintf(&b, "%s start web streaming sidekiq\n", compose)
	}
	fmt.Fprintf(&b, "# 4. when all is well: %sdropdb%s %s_old", in, user, db)
	return b.String(), nil
}
