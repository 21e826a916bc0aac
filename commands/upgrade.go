package commands

import (
	"context"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/upgrade"
)

// Upgrader is what the upgrade commands need; *upgrade.Upgrader is one.
type Upgrader interface {
	Versions(ctx context.Context) (upgrade.Versions, error)
	Check(ctx context.Context) (*upgrade.Check, error)
	News(c *upgrade.Check) (string, error)
	Plan(ctx context.Context, target string) (*upgrade.Plan, error)
	Start(ctx context.Context, pl *upgrade.Plan, jobID uint64, by string, p ops.Progress) (*upgrade.Run, error)
	Resume(ctx context.Context, jobID uint64, p ops.Progress) (*upgrade.Run, error)
	Abort(ctx context.Context, p ops.Progress) (*upgrade.Run, error)
	Status() (*upgrade.Run, bool, error)
}

const upgradeGroup = "upgrades"

// projectLock taken by name is the whole project, exclusively: nothing else that
// changes the instance runs during an upgrade.
const projectLock = "project"

// UpgradeCommands returns version, upgrade check, upgrade plan, upgrade, upgrade status,
// upgrade resume and upgrade abort. u nil means [compose] is missing: each says so.
func UpgradeCommands(u Upgrader) []Command {
	need := func(run Handler) Handler {
		if u == nil {
			return func(context.Context, *Request) (string, error) {
				return "", &ops.Error{Msg: "upgrades need the Compose project", Hint: "add a [compose] section to the config"}
			}
		}
		return run
	}
	versionArg := Arg{Name: "VERSION", Help: "the release to upgrade to", Example: "v4.5.1", Check: func(s string) error {
		_, err := parseVersionArg(s)
		return err
	}}
	whole := func(*Invocation) []string { return []string{projectLock} }
	report := func(r *upgrade.Run, err error) (string, error) {
		if r == nil {
			return "", err
		}
		return r.Report(), err
	}
	return []Command{
		{
			Name:    "version",
			Group:   upgradeGroup,
			Summary: "the running Mastodon version: image tag, tootctl and /api/v2/instance",
			Help:    "Reads the version three ways — the tag of the web service's image, `tootctl version` in the web container, and /api/v2/instance from web directly — and says whether they agree. They disagree during an upgrade, or after one that was left half done.",
			Timeout: time.Minute,
			Run: need(func(ctx context.Context, _ *Request) (string, error) {
				v, err := u.Versions(ctx)
				if err != nil {
					return "", err
				}
				return v.String(), nil
			}),
		},
		{
			Name:    "upgrade check",
			Group:   upgradeGroup,
			Summary: "newer Mastodon releases, security releases and the path to the newest",
			Help: "Asks the GitHub Releases API (cached, with ETags) for Mastodon's releases, skips drafts and prereleases, orders them by version, and shows the path from the running version to the newest — one release of every minor series, as Mastodon requires — with what each hop's notes say: migrations, long migrations, streaming restart, required environment, tootctl steps, hotfix advice. " +
				"With --new-only it answers only about a release it has not mentioned before ([upgrade] check_schedule runs it so).",
			Flags:   []Flag{{Name: "new-only", Kind: Bool, Help: "say nothing unless there is a release not mentioned before"}},
			Timeout: 2 * time.Minute,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				c, err := u.Check(ctx)
				if err != nil {
					return "", err
				}
				if req.Inv.Bool("new-only") {
					return u.News(c)
				}
				return c.Text(), nil
			}),
		},
		{
			Name:    "upgrade plan",
			Group:   upgradeGroup,
			Summary: "what upgrading to VERSION would do, changing nothing",
			Help:    "Works out the upgrade without changing anything: the running version, the hops, what their release notes require and whether PostgreSQL, Redis and the environment meet it, the expected downtime and every step.",
			Args:    []Arg{versionArg},
			Timeout: 2 * time.Minute,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				pl, err := u.Plan(ctx, req.Inv.Str("VERSION"))
				if err != nil {
					return "", err
				}
				return pl.Text(), nil
			}),
		},
		{
			Name:    "upgrade",
			Group:   upgradeGroup,
			Summary: "upgrade Mastodon to VERSION, guided and resumable",
			Help: "Runs the upgrade the plan shows, one step at a time, each written down before it starts: pull the new images, back up and verify, announce, maintenance on when needed, pre-deployment migrations in a one-off container of the new image, recreate web, streaming and sidekiq on it and rewrite the compose file's image lines, post-deployment migrations, release tasks, static assets, health, maintenance off, the completion toot and a report. " +
				"A failure before the post-deployment migrations puts the old version back by itself; after them maintenance stays on and you get the backup key and the restore command. `upgrade status`, `upgrade resume` and `upgrade abort` work across restarts of the bot.",
			Args:    []Arg{versionArg},
			Changes: true,
			Locks:   whole,
			Timeout: 6 * time.Hour,
			Plan: func(ctx context.Context, inv *Invocation) (string, error) {
				if u == nil {
					return "", &ops.Error{Msg: "upgrades need the Compose project", Hint: "add a [compose] section to the config"}
				}
				pl, err := u.Plan(ctx, inv.Str("VERSION"))
				if err != nil {
					return "", err
				}
				return pl.Text(), nil
			},
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				// Plan again: the notes may have changed since the question.
				pl, err := u.Plan(ctx, req.Inv.Str("VERSION"))
				if err != nil {
					return "", err
				}
				return report(u.Start(ctx, pl, req.JobID, req.Sender.Acct, req.Progress))
			}),
		},
		{
			Name:    "upgrade status",
			Group:   upgradeGroup,
			Summary: "the current or last upgrade, step by step",
			Inline:  true,
			Run: need(func(context.Context, *Request) (string, error) {
				r, ok, err := u.Status()
				if err != nil || !ok {
					return "no upgrade has run yet", err
				}
				return r.Report(), nil
			}),
		},
		{
			Name:    "upgrade resume",
			Group:   upgradeGroup,
			Summary: "go on with an unfinished upgrade from the step it stopped at",
			Changes: true,
			Locks:   whole,
			Timeout: 6 * time.Hour,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				return report(u.Resume(ctx, req.JobID, req.Progress))
			}),
		},
		{
			Name:    "upgrade abort",
			Group:   upgradeGroup,
			Summary: "give up an unfinished upgrade, putting the old version back when that is still possible",
			Changes: true,
			Locks:   whole,
			Timeout: 30 * time.Minute,
			Run: need(func(ctx context.Context, req *Request) (string, error) {
				return report(u.Abort(ctx, req.Progress))
			}),
		},
	}
}

func parseVersionArg(s string) (string, error) {
	if _, err := upgradeParse(s); err != nil {
		return "", err
	}
	return s, nil
}

// upgradeParse checks a version argument as typed.
func upgradeParse(s string) (release.Version, error) {
	v, err := release.ParseVersion(s)
	if err != nil {
		return v, err
	}
	if v.Pre != "" {
		return v, &ops.Error{Msg: "prereleases are not upgraded to by the bot"}
	}
	return v, nil
}
