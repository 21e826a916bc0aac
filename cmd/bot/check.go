package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

// checkTimeout bounds each network check, so one dead dependency cannot hang `bot check`.
const checkTimeout = 10 * time.Second

// checksFailed is returned when at least one check printed ✗.
type checksFailed int

func (n checksFailed) Error() string { return fmt.Sprintf("%d checks failed", int(n)) }

// check is one line of `bot check`: it returns what it found, or an error whose Safe
// text (see ops.Error) becomes the ✗ line and its hint.
type check struct {
	name    string
	run     func(ctx context.Context) (string, error)
	timeout time.Duration // 0 is checkTimeout
}

func runCheck(ctx context.Context, e *env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	if e.showConfig {
		fmt.Fprint(e.stdout, cfg.String())
	}
	checks := []check{
		{"config " + cfg.Path(), func(context.Context) (string, error) { return "valid: " + sections(cfg), nil }, 0},
		{"state", func(context.Context) (string, error) { return checkState(cfg.State.Path) }, 0},
	}
	if !e.offline {
		checks = append(checks, onlineChecks(cfg)...)
	}
	failed := 0
	for _, c := range checks {
		timeout := c.timeout
		if timeout == 0 {
			timeout = checkTimeout
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		detail, err := c.run(cctx)
		cancel()
		if err != nil {
			failed++
			printFailure(e.stdout, c.name, err)
			continue
		}
		fmt.Fprintf(e.stdout, "✓ %s: %s\n", c.name, detail)
	}
	if failed > 0 {
		return checksFailed(failed)
	}
	return nil
}

func printFailure(w io.Writer, name string, err error) {
	var safe *ops.Error
	if errors.As(err, &safe) {
		fmt.Fprintf(w, "✗ %s: %s\n", name, safe.Msg)
		if safe.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", safe.Hint)
		}
		return
	}
	fmt.Fprintf(w, "✗ %s: %v\n", name, err)
}

// sections names the optional sections present, so the ✓ line says what was validated.
func sections(cfg *config.Config) string {
	var s []string
	if cfg.Mastodon != nil {
		s = append(s, "[mastodon]")
	}
	if len(cfg.Admins.Accounts) > 0 {
		s = append(s, fmt.Sprintf("[admins] (%d)", len(cfg.Admins.Accounts)))
	}
	if cfg.Compose != nil {
		s = append(s, "[compose]")
	}
	if cfg.Backup != nil {
		s = append(s, "[backup]")
	}
	if len(s) == 0 {
		return "no optional sections"
	}
	return strings.Join(s, " ")
}

func checkState(path string) (string, error) {
	fi, err := state.Inspect(path)
	switch {
	case err != nil:
		return "", &ops.Error{Msg: err.Error(), Hint: "set [state] path to a writable file"}
	case fi.InUse:
		return fi.Path + " (in use by a running bot)", nil
	case !fi.Exists:
		return fi.Path + " (will be created)", nil
	default:
		return fmt.Sprintf("%s (schema %d)", fi.Path, fi.Schema), nil
	}
}

// onlineChecks reach each configured dependency.
func onlineChecks(cfg *config.Config) []check {
	var checks []check
	if m := cfg.Mastodon; m != nil {
		checks = append(checks, check{name: "mastodon " + m.Server, run: func(ctx context.Context) (string, error) {
			if err := cfg.RequireMastodonToken(); err != nil {
				return "", &ops.Error{Msg: "no access token", Hint: "set [mastodon] access_token_file, or TOOTOPS_MASTODON_ACCESS_TOKEN"}
			}
			return bot.CheckMastodon(ctx, m.Server, m.AccessToken.Reveal(), cfg.Admins.RequireRole)
		}})
	}
	if c := cfg.Compose; c != nil {
		host := ops.DockerHost(c.DockerHost)
		checks = append(checks, check{name: "docker " + host, run: func(ctx context.Context) (string, error) {
			cli, err := ops.NewDockerClient(host)
			if err != nil {
				return "", &ops.Error{Msg: err.Error(), Hint: "docker_host takes unix://, tcp:// or ssh:// addresses"}
			}
			defer cli.Close()
			api, err := ops.PingDocker(ctx, cli, host)
			if err != nil {
				return "", err
			}
			return "reachable, API " + api, nil
		}})
		// Upgrades need the Compose project, and only they read GitHub's releases.
		checks = append(checks, check{"github releases", func(ctx context.Context) (string, error) {
			return checkReleases(ctx, cfg.Upgrade)
		}, time.Minute})
		if c.Directory != "" || cfg.Upgrade.AssetsDir != "" {
			checks = append(checks, check{name: strings.TrimSpace("compose dir " + c.Directory), run: func(context.Context) (string, error) {
				return checkCompose(c.Directory, cfg.Upgrade.AssetsDir)
			}})
		}
	}
	if b := cfg.Backup; b != nil {
		checks = append(checks, check{"backup " + b.Database, func(ctx context.Context) (string, error) {
			return probeDatabase(ctx, cfg)
		}, 0})
		checks = append(checks, check{"s3 " + b.S3.Bucket, func(ctx context.Context) (string, error) {
			return checkBackup(ctx, cfg)
		}, time.Minute})
	}
	if f := cfg.Maintenance.File; f != "" {
		checks = append(checks, check{name: "maintenance " + f, run: func(context.Context) (string, error) {
			return checkMaintenance(f)
		}})
	}
	if c := cfg.Certs; c != nil {
		checks = append(checks, check{"certs", func(ctx context.Context) (string, error) {
			return checkCerts(ctx, c)
		}, time.Minute})
	}
	if addr := cfg.HTTP.Listen; addr != "" {
		checks = append(checks, check{name: "http " + addr, run: func(ctx context.Context) (string, error) {
			return checkListen(ctx, addr)
		}})
	}
	return checks
}
