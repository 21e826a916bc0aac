package upgrade

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/release"
)

// Plan is what an upgrade will do, or why it cannot.
type Plan struct {
	Run      *Run
	Versions Versions
	Hops     []release.Hop
	Needs    release.Requirements
	Blocking []string // each stops the upgrade
	Warnings []string
}

// Plan works out the upgrade to target without changing anything: the running version
// (three ways, which must agree), the path of hops, what their notes require and
// whether the running PostgreSQL, Redis and environment meet it, the downtime, and the
// steps.
func (u *Upgrader) Plan(ctx context.Context, target string) (*Plan, error) {
	to, err := release.ParseVersion(target)
	if err != nil {
		return nil, &ops.Error{Msg: err.Error(), Hint: "e.g. `upgrade plan v4.5.1`; `upgrade check` lists the releases"}
	}
	vs, err := u.Versions(ctx)
	if err != nil {
		return nil, err
	}
	pl := &Plan{Versions: vs}
	if !vs.Agree() {
		return nil, &ops.Error{Msg: "the running version is unclear: " + vs.String(), Hint: "a half-finished upgrade? `upgrade status` tells; fix it by hand before upgrading"}
	}
	from, _ := release.ParseVersion(vs.Image)
	all, err := u.o.Releases.Releases(ctx)
	if err != nil {
		return nil, err
	}
	hops, err := release.Path(all, from.Core(), to)
	if err != nil {
		return nil, err
	}
	pl.Hops = hops
	pl.Needs = release.Hops(hops).Requirements()
	running, warnings := u.dependencies(ctx)
	pl.Warnings = append(pl.Warnings, warnings...)
	env, err := u.serviceEnv(ctx)
	if err != nil {
		return nil, err
	}
	pl.Blocking = pl.Needs.Check(running, env)
	if pl.Needs.ComposeChanges {
		pl.Blocking = append(pl.Blocking, "the release notes change the compose file itself (not only image tags): edit docker-compose.yml as they describe, then upgrade")
	}
	if u.o.Backups == nil {
		pl.Warnings = append(pl.Warnings, "no [backup] section: the upgrade runs without a fresh backup")
	}

	snap, err := u.o.Engine.Discover(ctx)
	if err != nil {
		return nil, err
	}
	r := &Run{From: from.String(), To: to.String(), Old: map[string]string{}, New: map[string]map[string]string{}, NotesURL: hops[len(hops)-1].Release.URL}
	for _, name := range u.o.Services {
		svc, ok := snap.Service(name)
		if !ok || len(svc.Containers) == 0 {
			return nil, &ops.Error{Msg: "no running " + name + " service in the project", Hint: "[upgrade] services lists the services on Mastodon's images"}
		}
		r.Old[name] = svc.Containers[0].Image
		if r.ComposeFile == "" {
			r.ComposeFile = composeFileOf(svc.Containers[0])
		}
	}
	r.Downtime, r.Reasons = release.Hops(hops).NeedsDowntime()
	for _, h := range hops {
		v := h.Release.Version.String()
		r.Hops = append(r.Hops, v)
		imgs := map[string]string{}
		for s, ref := range r.Old {
			imgs[s] = withTag(ref, h.Release.Tag)
		}
		r.New[v] = imgs
	}
	r.Tootctl = pl.Needs.Tootctl
	r.Steps = u.steps(r)
	pl.Run = r
	return pl, nil
}

// composeFileOf is the first compose file a container's labels name.
func composeFileOf(c compose.Container) string {
	f, _, _ := strings.Cut(c.Labels["com.docker.compose.project.config_files"], ",")
	return f
}

// steps lays out a run: pulls first (nothing changes until every image is here), the
// backup, the announcement and maintenance once, then each hop's migrations and
// recreate, and the run-wide tail.
func (u *Upgrader) steps(r *Run) []Step {
	var s []Step
	for _, v := range r.Hops {
		s = append(s, Step{Kind: Pull, Version: v, Status: Pending})
	}
	if u.o.Backups != nil {
		s = append(s, Step{Kind: Backup, Status: Pending})
	}
	if u.o.Publisher != nil {
		s = append(s, Step{Kind: Announce, Status: Pending})
	}
	if r.Downtime && u.o.Maintenance != nil {
		s = append(s, Step{Kind: MaintenanceOn, Status: Pending})
	}
	for _, v := range r.Hops {
		s = append(s,
			Step{Kind: PreMigrate, Version: v, Status: Pending},
			Step{Kind: Recreate, Version: v, Status: Pending},
			Step{Kind: ComposeFile, Version: v, Status: Pending},
			Step{Kind: PostMigrate, Version: v, Status: Pending})
	}
	if len(r.Tootctl) > 0 {
		s = append(s, Step{Kind: ReleaseTasks, Status: Pending})
	}
	if u.o.AssetsDir != "" {
		s = append(s, Step{Kind: Assets, Version: r.To, Status: Pending})
	}
	s = append(s, Step{Kind: Health, Status: Pending})
	if r.Downtime && u.o.Maintenance != nil {
		s = append(s, Step{Kind: MaintenanceOff, Status: Pending})
	}
	if u.o.Publisher != nil {
		s = append(s, Step{Kind: Complete, Status: Pending})
	}
	return s
}

// Text is the plan as the confirmation question and `upgrade plan` show it.
func (p *Plan) Text() string {
	var b strings.Builder
	r := p.Run
	fmt.Fprintf(&b, "upgrade %s → %s", r.From, r.To)
	if len(r.Hops) > 1 {
		fmt.Fprintf(&b, " through %s (one release of every minor series)", strings.Join(r.Hops, ", "))
	}
	b.WriteString("\n")
	for _, h := range p.Hops {
		n := h.Notes
		var what []string
		if n.Migrations {
			what = append(what, "database migrations")
		}
		if n.LongMigrations {
			what = append(what, "UNUSUALLY LONG migrations")
		}
		if n.AssetsRecompile {
			what = append(what, "new assets")
		}
		if n.StreamingRestart {
			what = append(what, "streaming restart")
		}
		if n.Security {
			what = append(what, "security fixes")
		}
		if len(what) == 0 {
			what = append(what, "restart only")
		}
		fmt.Fprintf(&b, "· %s: %s", h.Release.Version, strings.Join(what, ", "))
		if len(h.Skipped) > 0 {
			fmt.Fprintf(&b, " (notes of %d skipped patch releases read)", len(h.Skipped))
		}
		b.WriteString("\n")
	}
	if r.Downtime {
		fmt.Fprintf(&b, "downtime: yes — %s; maintenance page on during it\n", strings.Join(r.Reasons, "; "))
	} else {
		b.WriteString("downtime: none expected (pre-deployment migrations while the old version serves)\n")
	}
	if len(r.Tootctl) > 0 {
		fmt.Fprintf(&b, "release tasks: %s\n", strings.Join(r.Tootctl, "; "))
	}
	var steps []string
	for _, s := range r.Steps {
		steps = append(steps, s.Name())
	}
	fmt.Fprintf(&b, "steps: %s\n", strings.Join(steps, " → "))
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, x := range p.Blocking {
		fmt.Fprintf(&b, "BLOCKED: %s\n", x)
	}
	return strings.TrimRight(b.String(), "\n")
}

var (
	pgVersion    = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)`)
	redisVersion = regexp.MustCompile(`(?m)^redis_version:(\S+)`)
)

// dependencies reads the running PostgreSQL and Redis versions from their services.
// What it cannot read stays out of the map: Requirements.Check then refuses (fail
// closed), and the warning says why it is unknown.
func (u *Upgrader) dependencies(ctx context.Context) (map[string]release.Version, []string) {
	running := map[string]release.Version{}
	var warnings []string
	var out, errb strings.Builder
	err := u.o.Engine.Exec(ctx, "db", compose.ExecOptions{Cmd: []string{"psql", "-U", "postgres", "-XAtc", "SHOW server_version"}, Stdout: &out, Stderr: &errb})
	if m := pgVersion.FindStringSubmatch(out.String()); err == nil && m != nil {
		if v, perr := release.ParseVersion(m[1] + strings.Repeat(".0", 2-strings.Count(m[1], "."))); perr == nil {
			running["PostgreSQL"] = v
		}
	} else {
		warnings = append(warnings, "could not read the PostgreSQL version from the db service: "+reason(err, errb.String()))
	}
	out.Reset()
	errb.Reset()
	err = u.o.Engine.Exec(ctx, "redis", compose.ExecOptions{Cmd: []string{"redis-cli", "INFO", "server"}, Stdout: &out, Stderr: &errb})
	if m := redisVersion.FindStringSubmatch(out.String()); err == nil && m != nil {
		if v, perr := release.ParseVersion(strings.TrimSpace(m[1])); perr == nil {
			running["Redis"] = v
		}
	} else {
		warnings = append(warnings, "could not read the Redis version from the redis service: "+reason(err, errb.String()))
	}
	return running, warnings
}

func reason(err error, stderr string) string {
	if err != nil {
		return ops.SafeText(err)
	}
	if s := strings.TrimSpace(stderr); s != "" {
		return s
	}
	return "no version in its answer"
}

// serviceEnv is the names of the environment variables web runs with (its env_file).
func (u *Upgrader) serviceEnv(ctx context.Context) (map[string]bool, error) {
	type envReader interface {
		ServiceEnv(ctx context.Context, service string) (map[string]bool, error)
	}
	er, ok := u.o.Engine.(envReader)
	if !ok {
		return map[string]bool{}, nil
	}
	return er.ServiceEnv(ctx, u.o.Services[0])
}
