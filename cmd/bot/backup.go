package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/s3store"
	"github.com/tootops/tootops/state"
)

// dbService is the Compose service pg_dump runs in with source = "exec", as in
// Mastodon's docker-compose.yml.
const dbService = "db"

// backupService builds the backup service of [backup]. project is the Compose project
// for source = "exec" (nil without [compose], which the config refuses for exec).
func backupService(cfg *config.Config, store *state.Store, project *compose.Project, log zerolog.Logger) (*backup.Service, error) {
	b := cfg.Backup
	s3, err := newS3Store(b.S3)
	if err != nil {
		return nil, err
	}
	where := backup.Where{Bucket: b.S3.Bucket, Endpoint: b.S3.Endpoint, Address: b.Host.Address, Service: dbService}
	var src backup.Source
	switch b.Source {
	case config.SourceHost:
		src = &backup.HostSource{Address: b.Host.Address, Role: b.Host.User, Password: b.Host.Password.Reveal()}
	default:
		if project == nil {
			return nil, &ops.Error{Msg: `[backup] source = "exec" needs a [compose] section`}
		}
		src = &backup.ExecSource{Project: project, Service: dbService, Role: "postgres"}
		where.Project, where.Directory = cfg.Compose.Project, cfg.Compose.Directory
	}
	cat := backup.NewCatalogue(store)
	if store != nil {
		// A backup the last stop cut off never completed its upload: say so in the
		// catalogue (the job runner tells its sender).
		if n, err := cat.Interrupted(time.Now()); err != nil {
			return nil, err
		} else if n > 0 {
			log.Warn().Int("backups", n).Msg("backups interrupted by the last stop marked failed")
		}
	}
	return backup.New(backup.Options{
		Database:  b.Database,
		Prefix:    b.S3.Prefix,
		Source:    src,
		Store:     s3,
		Catalogue: cat,
		Where:     where,
		Level:     b.Compression,
		Retention: backup.Policy{Daily: b.Retention.Daily, Weekly: b.Retention.Weekly, Monthly: b.Retention.Monthly},
		Log:       log,
	}), nil
}

// newS3Store is the bucket of [backup.s3]. Nothing is dialled yet.
func newS3Store(c config.S3) (*s3store.Store, error) {
	var roots *x509.CertPool
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, &ops.Error{Msg: "cannot read [backup.s3] ca_file: " + err.Error()}
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, &ops.Error{Msg: "[backup.s3] ca_file " + c.CAFile + " holds no PEM certificate"}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s3store.New(ctx, s3store.Config{
		Endpoint: c.Endpoint, Region: c.Region, Bucket: c.Bucket, PathStyle: c.PathStyle,
		AccessKeyID: c.AccessKeyID.Reveal(), SecretAccessKey: c.SecretAccessKey.Reveal(), RootCAs: roots,
	})
}

// checkBackup is `bot check`'s backup line: the database answers and the bucket accepts
// a multipart upload (the canary), so the first nightly run does not find out.
func checkBackup(ctx context.Context, cfg *config.Config) (string, error) {
	b := cfg.Backup
	s3, err := newS3Store(b.S3)
	if err != nil {
		return "", safeError(err)
	}
	if err := s3.Canary(ctx, b.S3.Prefix); err != nil {
		return "", safeError(err)
	}
	return fmt.Sprintf("bucket %s accepts multipart uploads (canary stored and deleted)", b.S3.Bucket), nil
}

// safeError turns an error that knows its admin-facing text into an ops.Error, which
// `bot check` prints as ✗ line and hint.
func safeError(err error) error {
	type msgHint interface {
		Safe() string
	}
	if e, ok := err.(*s3store.Error); ok {
		return &ops.Error{Msg: e.Msg, Hint: e.Hint, Err: err}
	}
	if _, ok := err.(msgHint); ok {
		return err
	}
	return &ops.Error{Msg: ops.SafeText(err), Err: err}
}

// probeDatabase is `bot check`'s database line: the server answers and pg_dump can dump
// it. The catalogue is not needed, so the state file (maybe held by a running bot) is not
// opened.
func probeDatabase(ctx context.Context, cfg *config.Config) (string, error) {
	var project *compose.Project
	if c := cfg.Compose; c != nil {
		p, err := compose.New(compose.Options{Project: c.Project, Directory: c.Directory, DockerHost: c.DockerHost, Allowed: c.OneOff.Allowed})
		if err != nil {
			return "", safeError(err)
		}
		project = p
	}
	svc, err := backupService(cfg, nil, project, zerolog.Nop())
	if err != nil {
		return "", safeError(err)
	}
	detail, err := svc.Probe(ctx)
	if err != nil {
		return "", safeError(err)
	}
	return detail, nil
}
