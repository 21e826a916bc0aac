package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// The service commands (ps, start, stop, restart, scale, logs, run, media cleanup) act on
// the Compose project through these small interfaces; ops/compose.Project implements all
// of them, compose.Unconfigured stands in when the config has no [compose].

// ServiceLister is what ps needs.
type ServiceLister interface {
	Ps(ctx context.Context) (*compose.Status, error)
}

// ServiceController is what start, stop and restart need.
type ServiceController interface {
	PlanAction(ctx context.Context, a compose.Action, service string) (*compose.Plan, error)
	Do(ctx context.Context, a compose.Action, service string, o compose.ActionOptions, p ops.Progress) (*compose.Outcome, error)
}

// ServiceScaler is what scale needs.
type ServiceScaler interface {
	PlanScale(ctx context.Context, service string, n int) (*compose.ScalePlan, error)
	Scale(ctx context.Context, service string, n int, p ops.Progress) (*compose.ScaleOutcome, error)
}

// Services is every service command's need at once.
type Services interface {
	ServiceLister
	ServiceController
	ServiceScaler
	LogReader
	OneOffRunner
	MediaCleaner
}

// ServiceOptions are the config's part in the service commands.
type ServiceOptions struct {
	MediaDays int              // [media] days: media cleanup's default --days
	Now       func() time.Time // nil means time.Now
}

// ServiceCommands returns ps, start, stop, restart, scale, logs, run, media cleanup and
// media estimate, over s.
func ServiceCommands(s Services, o ServiceOptions) []Command {
	return []Command{
		Ps(s, o.Now),
		Start(s), Stop(s), Restart(s),
		Scale(s),
		Logs(s),
		Run(s),
		MediaCleanup(s, o.MediaDays), MediaEstimate(s, o.MediaDays),
	}
}

const servicesGroup = "services"

// protected are the services that carry the bot's own direct messages: stopping them cuts
// the line the admin is talking on.
var protected = []string{"web", "streaming"}

const flagIKnow = "i-know"

var (
	serviceArg = Arg{Name: "SERVICE", Help: "a Compose service such as web or sidekiq, or all", Example: "sidekiq"}
	timeoutFlg = Flag{Name: "timeout", Kind: Int, Placeholder: "N", Help: "seconds each container gets to stop cleanly before it is killed (default: its own stop_grace_period, 10 s unless set)"}
	iKnowFlag  = Flag{Name: flagIKnow, Kind: Bool, Help: "do it even to web or streaming, which carry the bot's own messages"}
)

// serviceLocks locks the service, or the whole project for all.
func serviceLocks(inv *Invocation) []string {
	if s := inv.Str("SERVICE"); s != compose.All {
		return []string{"service:" + s}
	}
	return []string{"project"}
}

// guard refuses to stop or restart the services that carry the bot's messages without
// --i-know.
func guard(inv *Invocation, verb, service string) error {
	if inv.Bool(flagIKnow) {
		return nil
	}
	hit := slices.Contains(protected, service)
	if service == compose.All {
		hit, service = true, "all services"
	}
	if !hit {
		return nil
	}
	return &ops.Error{
		Msg:  fmt.Sprintf("not %s %s without --i-know: web and streaming carry the bot's own messages, so this DM thread goes quiet until they are back", verb, service),
		Hint: fmt.Sprintf("send it again with --i-know if that is what you want, e.g. %q", inv.String()+" --i-know"),
	}
}

// Ps returns the `ps` command.
func Ps(s ServiceLister, now func() time.Time) Command {
	if now == nil {
		now = time.Now
	}
	return Command{
		Name:    "ps",
		Group:   servicesGroup,
		Summary: "list the services: replicas running, state, health, uptime, image",
		Help:    "One line per Compose service, in start order: running/total replicas, how long they have been up, their health when they have a healthcheck, and the image tag. Replicas that are not running are named with their state and exit code. One-off containers (run, media cleanup) are listed apart.",
		Timeout: time.Minute,
		Run: func(ctx context.Context, _ *Request) (string, error) {
			st, err := s.Ps(ctx)
			if err != nil {
				return "", err
			}
			return formatPs(st, now()), nil
		},
	}
}

// formatPs renders ps compactly enough for one toot.
func formatPs(st *compose.Status, now time.Time) string {
	running, total := 0, 0
	for _, s := range st.Services {
		running += s.Running()
		total += len(s.Replicas)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d/%d running\n", st.Project, running, total)
	for _, s := range st.Services {
		b.WriteString(psLine(s, now) + "\n")
	}
	if n := len(st.OneOffs); n > 0 {
		var names []string
		for _, r := range st.OneOffs {
			names = append(names, r.Name+" "+r.State)
		}
		fmt.Fprintf(&b, "one-off: %s\n", strings.Join(names, ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// psLine is one service: "sidekiq 2/3 up 2h · #3 exited (137) 5m ago · v4.5.0".
func psLine(s compose.ServiceStatus, now time.Time) string {
	parts := []string{fmt.Sprintf("%s %d/%d", s.Name, s.Running(), len(s.Replicas))}
	var youngest time.Time
	health := map[string]int{}
	var down []string
	var tags []string
	for _, r := range s.Replicas {
		if tag := imageTag(r.Image); !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
		if r.State == "running" {
			if r.StartedAt.After(youngest) {
				youngest = r.StartedAt
			}
			if r.Health != "" {
				health[r.Health]++
			}
			continue
		}
		d := r.State
		if len(s.Replicas) > 1 {
			d = "#" + strconv.Itoa(r.Number) + " " + d
		}
		if r.State == "exited" || r.State == "dead" {
			d += fmt.Sprintf(" (%d)", r.ExitCode)
			if !r.FinishedAt.IsZero() {
				d += " " + uptime(now.Sub(r.FinishedAt)) + " ago"
			}
		}
		down = append(down, d)
	}
	first := parts[0]
	if !youngest.IsZero() {
		first += " up " + uptime(now.Sub(youngest))
	}
	parts[0] = first
	switch {
	case len(health) == 1 && health["healthy"] == s.Running():
		parts = append(parts, "healthy")
	case len(health) > 0:
		var hs []string
		for _, h := range []string{"unhealthy", "starting", "healthy"} {
			if health[h] > 0 {
				if s.Running() == 1 {
					hs = append(hs, h)
				} else {
					hs = append(hs, fmt.Sprintf("%d %s", health[h], h))
				}
			}
		}
		parts = append(parts, strings.Join(hs, ", "))
	}
	if len(down) > 3 {
		down = append(down[:3], fmt.Sprintf("%d more", len(down)-3))
	}
	parts = append(parts, down...)
	parts = append(parts, strings.Join(tags, ", "))
	return strings.Join(parts, " · ")
}

// imageTag shortens an image reference to its tag: "v4.5.0", "14-alpine", "@sha256:1a2b3c4d5e6f".
func imageTag(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		d := ref[i+1:]
		if _, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
			d = d[:len(d)-len(hex)] + hex[:12]
		}
		return "@" + d
	}
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if _, tag, ok := strings.Cut(last, ":"); ok {
		return tag
	}
	if strings.HasPrefix(ref, "sha256:") {
		return ref[:min(len(ref), 19)]
	}
	return "latest"
}

// lifecycle builds start, stop and restart.
func lifecycle(s ServiceController, a compose.Action) Command {
	c := Command{
		Name:    string(a),
		Group:   servicesGroup,
		Args:    []Arg{serviceArg},
		Changes: true,
		Locks:   serviceLocks,
		Timeout: 15 * time.Minute,
	}
	verb := map[compose.Action]string{compose.Start: "starting", compose.Stop: "stopping", compose.Restart: "restarting"}[a]
	switch a {
	case compose.Start:
		c.Summary = "start a service's stopped containers, after what it depends on"
		c.Help = "Starts the containers of the service that are not running, after starting what the service depends on (the com.docker.compose.depends_on label, else Mastodon's order: db and redis before web, streaming and sidekiq), as docker compose start does. Waits for healthchecks. `start all` starts every service in that order."
	case compose.Stop:
		c.Summary = "stop a service's containers"
		c.Help = "Stops the running containers of the service, all at once, as docker compose stop does; `stop all` stops every service in the reverse of the start order. Stopping web or streaming (or all) cuts the bot's own messages and needs --i-know. Containers with restart: always (Mastodon's default) are started again by Docker when the daemon or the host restarts: the reply says so."
		c.Flags = []Flag{timeoutFlg, iKnowFlag}
	case compose.Restart:
		c.Summary = "restart a service's containers, one at a time"
		c.Help = "Restarts every container of the service, one at a time, waiting for each one's healthcheck before the next, then the services that depend on it with restart: true. Restarting web or streaming (or all) interrupts the bot's own messages and needs --i-know. Configuration changes need an up (a recreate), not a restart."
		c.Flags = []Flag{timeoutFlg, iKnowFlag}
	}
	c.Plan = func(ctx context.Context, inv *Invocation) (string, error) {
		service := inv.Str("SERVICE")
		if a != compose.Start {
			if err := guard(inv, verb, service); err != nil {
				return "", err
			}
		}
		pl, err := s.PlanAction(ctx, a, service)
		if err != nil {
			return "", err
		}
		if len(pl.Steps) == 0 {
			return "", &ops.Error{Msg: fmt.Sprintf("nothing to do: %s %s", describeTarget(service), map[compose.Action]string{compose.Start: "is already running", compose.Stop: "is already stopped"}[a])}
		}
		return planText(pl, inv), nil
	}
	c.Run = func(ctx context.Context, req *Request) (string, error) {
		inv := req.Inv
		service := inv.Str("SERVICE")
		if a != compose.Start {
			if err := guard(inv, verb, service); err != nil {
				req.Progress.Done()
				return "", err
			}
		}
		var o compose.ActionOptions
		if c.flag("timeout") != nil && inv.Has("timeout") {
			d := time.Duration(inv.Int("timeout")) * time.Second
			o.Timeout = &d
		}
		started := time.Now()
		out, err := s.Do(ctx, a, service, o, req.Progress)
		return outcomeText(a, service, out, time.Since(started)), err
	}
	return c
}

// Start returns the `start SERVICE` command.
func Start(s ServiceController) Command { return lifecycle(s, compose.Start) }

// Stop returns the `stop SERVICE [--timeout N] [--i-know]` command.
func Stop(s ServiceController) Command { return lifecycle(s, compose.Stop) }

// Restart returns the `restart SERVICE [--timeout N] [--i-know]` command.
func Restart(s ServiceController) Command { return lifecycle(s, compose.Restart) }

func describeTarget(service string) string {
	if service == compose.All {
		return "every service"
	}
	return service
}

// planText says what a start, stop or restart will do, step by step.
func planText(pl *compose.Plan, inv *Invocation) string {
	var steps []string
	for _, st := range pl.Steps {
		s := st.Service + " (" + names(st.Containers) + ")"
		if st.Why != "" {
			s += ", " + st.Why
		}
		steps = append(steps, s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "will %s %s", pl.Action, strings.Join(steps, ", then "))
	switch pl.Action {
	case compose.Stop:
		if inv.Has("timeout") {
			fmt.Fprintf(&b, "; each container gets %ds to stop", inv.Int("timeout"))
		}
	case compose.Restart:
		b.WriteString("; one container at a time, each waited for until healthy")
	}
	if len(pl.Already) > 0 {
		state := "running"
		if pl.Action == compose.Stop {
			state = "stopped"
		}
		fmt.Fprintf(&b, " (already %s: %s)", state, shortList(pl.Already))
	}
	return b.String()
}

// names lists containers compactly: up to three names, else the first and last.
func names(cs []compose.Container) string {
	ns := make([]string, len(cs))
	for i, c := range cs {
		ns[i] = c.Name
	}
	return shortList(ns)
}

func shortList(ns []string) string {
	if len(ns) <= 3 {
		return strings.Join(ns, ", ")
	}
	return fmt.Sprintf("%s … %s, %d containers", ns[0], ns[len(ns)-1], len(ns))
}

// outcomeText says what was done, also after a failure.
func outcomeText(a compose.Action, service string, out *compose.Outcome, took time.Duration) string {
	if out == nil {
		return ""
	}
	past := map[compose.Action]string{compose.Start: "started", compose.Stop: "stopped", compose.Restart: "restarted"}[a]
	if len(out.Done) == 0 {
		return "nothing was " + past
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s in %s", past, shortList(out.Done), jobs.Round(took))
	var bad []string
	for _, n := range out.Done {
		if h, ok := out.Health[n]; ok && h != "healthy" {
			bad = append(bad, n+" "+h)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(&b, "; not healthy yet: %s", strings.Join(bad, ", "))
	} else if len(out.Health) > 0 {
		b.WriteString("; healthy")
	}
	if len(out.RestartAlways) > 0 {
		fmt.Fprintf(&b, "\nnote: %s restart: always, so Docker starts %s again when the daemon or the host restarts", pluralHas(out.RestartAlways), themIt(out.RestartAlways))
	}
	return b.String()
}

func pluralHas(ns []string) string {
	if len(ns) == 1 {
		return ns[0] + " has"
	}
	if len(ns) <= 3 {
		return strings.Join(ns, ", ") + " have"
	}
	return fmt.Sprintf("all %d have", len(ns))
}

func themIt(ns []string) string {
	if len(ns) == 1 {
		return "it"
	}
	return "them"
}
