package main

import (
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/host"
	"github.com/tootops/tootops/ops/maintenance"
	"github.com/tootops/tootops/ops/status"
	"github.com/tootops/tootops/ops/upgrade"
	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

// opsCommands are the commands that act on the instance, built with their clients. The
// registry also holds the bot's own (help, jobs, confirmations…). cfg is nil when only
// the help is built: the commands are declared all the same.
//
// The service commands work on the [compose] project through the Docker Engine API. The
// client connects on first use, so a bot whose Docker is down still starts, and each
// command says which DOCKER_HOST it could not reach. Without [compose] they answer that
// the section is missing.
func opsCommands(cfg *config.Config, store *state.Store, pub *lateAnnouncer, log zerolog.Logger) ([]commands.Command, error) {
	var services commands.Services = compose.Unconfigured{}
	var project *compose.Project
	days := config.Default().Media.Days
	if cfg != nil {
		days = cfg.Media.Days
	}
	if cfg != nil && cfg.Compose != nil {
		p, err := compose.New(compose.Options{
			Project:    cfg.Compose.Project,
			Directory:  cfg.Compose.Directory,
			DockerHost: cfg.Compose.DockerHost,
			Allowed:    cfg.Compose.OneOff.Allowed,
			Log:        log,
		})
		if err == nil {
			services, project = p, p
		} else {
			services = compose.Unconfigured{Err: err}
		}
	}
	cmds := commands.ServiceCommands(services, commands.ServiceOptions{MediaDays: days})
	// Without [backup] (or for the help) the backup commands say it is not configured.
	var backups commands.Backups
	var upgradeBackups upgrade.Backups
	if cfg != nil && cfg.Backup != nil && store != nil {
		svc, err := backupService(cfg, store, project, log)
		if err != nil {
			return nil, err
		}
		backups, upgradeBackups = svc, svc
	}
	cmds = append(cmds, commands.BackupCommands(backups, nil)...)
	var upgrader commands.Upgrader
	if project != nil && store != nil {
		upgrader = newUpgrader(cfg, store, project, upgradeBackups, pub, log)
	}
	cmds = append(cmds, commands.UpgradeCommands(upgrader)...)
	var checker commands.Certs
	if cfg != nil && cfg.Certs != nil {
		roots, err := certs.Roots(cfg.Certs.CAFile)
		if err != nil {
			return nil, err
		}
		checker = &certs.Checker{Hosts: cfg.Certs.Hosts, Options: certs.Options{Roots: roots, WarnDays: cfg.Certs.WarnDays}}
	}
	cmds = append(cmds, commands.CertsCommands(checker)...)
	cmds = append(cmds, commands.Status(statusReporter(cfg, project, upgrader, backups, checker, log)))
	flag := maintenance.Flag{}
	if cfg != nil {
		flag.Path = cfg.Maintenance.File
	}
	cmds = append(cmds, commands.MaintenanceCommands(flag, nil)...)
	return append(cmds, commands.Journal(hostSystemd(cfg))), nil
}

// hostSystemd reads the host's systemd timers and the journal of [host] units, by
// running systemctl and journalctl; in a container or without systemd it says so.
func hostSystemd(cfg *config.Config) *host.Systemd {
	s := &host.Systemd{}
	if cfg != nil {
		s.Units = cfg.Host.Units
	}
	return s
}

// schedules turns the config's schedule keys into entries, each a command line.
func schedules(cfg *config.Config) []schedule.Entry {
	var out []schedule.Entry
	if b := cfg.Backup; b != nil && b.Schedule != "" {
		out = append(out, schedule.Entry{Name: "backup", Spec: string(b.Schedule), Line: "backup", Report: b.ReportVisibility, AlertFailure: true})
	}
	if b := cfg.Backup; b != nil && b.VerifySchedule != "" {
		out = append(out, schedule.Entry{Name: "backup verify", Spec: string(b.VerifySchedule), Line: "backup verify", AlertFailure: true})
	}
	if cfg.Upgrade.CheckSchedule != "" {
		out = append(out, schedule.Entry{Name: "upgrade check", Spec: string(cfg.Upgrade.CheckSchedule), Line: "upgrade check --new-only", Report: "direct", AlertFailure: true})
	}
	if c := cfg.Certs; c != nil && c.Schedule != "" {
		out = append(out, schedule.Entry{Name: "certs", Spec: string(c.Schedule), Line: "certs --problems-only", Report: "direct", AlertFailure: true})
	}
	if s := cfg.Status; s.Schedule != "" {
		out = append(out, schedule.Entry{Name: "status", Spec: string(s.Schedule), Line: "status", Report: s.Visibility, AlertFailure: true})
	}
	if cfg.Media.Schedule != "" {
		out = append(out, schedule.Entry{Name: "media", Spec: string(cfg.Media.Schedule), Line: "media cleanup"})
	}
	return out
}

// statusReporter gathers `status` from what the other commands use; a part whose section
// is missing is left out.
func statusReporter(cfg *config.Config, project *compose.Project, versions status.Versions, backups commands.Backups, checker status.Certs, log zerolog.Logger) *status.Reporter {
	o := status.Options{Versions: versions, Certs: checker, Log: log}
	if cfg != nil {
		o.WebURL, o.StreamingURL = cfg.Upgrade.WebURL, cfg.Upgrade.StreamingURL
		o.DiskPaths, o.DiskWarnPercent = cfg.Host.Disks, cfg.Host.DiskWarnPercent
	}
	if project != nil {
		o.Services, o.Sidekiq = project, &status.RedisSidekiq{Exec: project}
	}
	if backups != nil {
		o.Backups, o.Database = backups.Catalogue(), backups.Database()
	}
	return status.New(o)
}

func botOptions(cfg *config.Config, log zerolog.Logger, store *state.Store) (bot.Options, error) {
	pub := &lateAnnouncer{}
	cmds, err := opsCommands(cfg, store, pub, log)
	if err != nil {
		return bot.Options{}, err
	}
	return bot.Options{
		Log:            log,
		Store:          store,
		Info:           bot.Info{Version: versionString(), Started: time.Now()},
		Config:         cfg,
		LocalDomain:    bot.LocalDomain(cfg),
		Commands:       cmds,
		Schedules:      schedules(cfg),
		Host:           hostSystemd(cfg),
		PublisherReady: pub.set,
	}, nil
}

// newBot builds the bot, reporting names the config gives that match no command as
// config problems.
func newBot(cfg *config.Config, log zerolog.Logger, store *state.Store) (*bot.Bot, bot.Options, error) {
	o, err := botOptions(cfg, log, store)
	if err != nil {
		return nil, o, err
	}
	b, err := bot.New(o)
	var problems config.Problems
	if errors.As(err, &problems) {
		return nil, o, &configError{path: cfg.Path(), err: problems}
	}
	return b, o, err
}
