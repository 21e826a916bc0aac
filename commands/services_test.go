package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// fakeServices implements commands.Services with a func per method; a nil func fails
// the test that reaches it.
type fakeServices struct {
	t            *testing.T
	PsFunc       func() (*compose.Status, error)
	PlanFunc     func(compose.Action, string) (*compose.Plan, error)
	DoFunc       func(compose.Action, string, compose.ActionOptions) (*compose.Outcome, error)
	PlanScaleFn  func(string, int) (*compose.ScalePlan, error)
	ScaleFunc    func(string, int) (*compose.ScaleOutcome, error)
	LogsFunc     func(string, compose.LogOptions) (*compose.Logs, error)
	PlanRunFunc  func(string, []string) (*compose.RunPlan, error)
	RunFunc      func(string, []string) (*compose.RunResult, error)
	MediaFunc    func(compose.MediaOptions) (*compose.MediaResult, error)
	allowedCheck func([]string) error
}

var _ commands.Services = (*fakeServices)(nil)

func (f *fakeServices) missing(name string) error {
	f.t.Helper()
	f.t.Errorf("unexpected call of %s", name)
	return errors.New("unexpected " + name)
}

func (f *fakeServices) Ps(context.Context) (*compose.Status, error) {
	if f.PsFunc == nil {
		return nil, f.missing("Ps")
	}
	return f.PsFunc()
}
func (f *fakeServices) PlanAction(_ context.Context, a compose.Action, s string) (*compose.Plan, error) {
	if f.PlanFunc == nil {
		return nil, f.missing("PlanAction")
	}
	return f.PlanFunc(a, s)
}
func (f *fakeServices) Do(_ context.Context, a compose.Action, s string, o compose.ActionOptions, p ops.Progress) (*compose.Outcome, error) {
	defer p.Done()
	if f.DoFunc == nil {
		return nil, f.missing("Do")
	}
	return f.DoFunc(a, s, o)
}
func (f *fakeServices) PlanScale(_ context.Context, s string, n int) (*compose.ScalePlan, error) {
	if f.PlanScaleFn == nil {
		return nil, f.missing("PlanScale")
	}
	return f.PlanScaleFn(s, n)
}
func (f *fakeServices) Scale(_ context.Context, s string, n int, p ops.Progress) (*compose.ScaleOutcome, error) {
	defer p.Done()
	if f.ScaleFunc == nil {
		return nil, f.missing("Scale")
	}
	return f.ScaleFunc(s, n)
}
func (f *fakeServices) Logs(_ context.Context, s string, o compose.LogOptions) (*compose.Logs, error) {
	if f.LogsFunc == nil {
		return nil, f.missing("Logs")
	}
	return f.LogsFunc(s, o)
}
func (f *fakeServices) CheckCommand(cmd []string) error {
	if f.allowedCheck == nil {
		p, _ := compose.NewPolicy(compose.DefaultAllowed)
		return p.Check(cmd)
	}
	return f.allowedCheck(cmd)
}
func (f *fakeServices) AllowedCommands() []string { return compose.DefaultAllowed }
func (f *fakeServices) PlanRun(_ context.Context, s string, cmd []string) (*compose.RunPlan, error) {
	if f.PlanRunFunc == nil {
		return nil, f.missing("PlanRun")
	}
	return f.PlanRunFunc(s, cmd)
}
func (f *fakeServices) Run(_ context.Context, s string, cmd []string, p ops.Progress) (*compose.RunResult, error) {
	defer p.Done()
	if f.RunFunc == nil {
		return nil, f.missing("Run")
	}
	return f.RunFunc(s, cmd)
}
func (f *fakeServices) PlanMedia(_ context.Context, o compose.MediaOptions) (*compose.RunPlan, error) {
	return &compose.RunPlan{Service: "web", Template: "mastodon-web-1", Command: compose.MediaCommand(o)}, nil
}
func (f *fakeServices) MediaCleanup(_ context.Context, o compose.MediaOptions, p ops.Progress) (*compose.MediaResult, error) {
	defer p.Done()
	if f.MediaFunc == nil {
		return nil, f.missing("MediaCleanup")
	}
	return f.MediaFunc(o)
}

var psNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func svcRegistry(t *testing.T, f *fakeServices) *commands.Registry {
	t.Helper()
	f.t = t
	r := commands.NewRegistry()
	if err := r.Add(commands.ServiceCommands(f, commands.ServiceOptions{MediaDays: 14, Now: func() time.Time { return psNow }})...); err != nil {
		t.Fatal(err)
	}
	return r
}

type nopProgress struct{}

func (nopProgress) Report(int64, int64, string) {}
func (nopProgress) Done()                       {}

// runLine parses and runs a line as the bot would run a confirmed job.
func runLine(t *testing.T, r *commands.Registry, line string) (string, error) {
	t.Helper()
	inv, err := r.Parse(line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return inv.Command.Run(context.Background(), &commands.Request{Inv: inv, Progress: nopProgress{}})
}

// planLine parses a line and returns its plan.
func planLine(t *testing.T, r *commands.Registry, line string) (string, error) {
	t.Helper()
	inv, err := r.Parse(line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return inv.Command.Plan(context.Background(), inv)
}

func TestPsText(t *testing.T) {
	up := psNow.Add(-2*time.Hour - 12*time.Minute)
	st := &compose.Status{Project: "mastodon", Services: []compose.ServiceStatus{
		{Name: "db", Replicas: []compose.Replica{{Name: "mastodon-db-1", Number: 1, State: "running", StartedAt: psNow.Add(-72 * time.Hour), Image: "postgres:14-alpine", Health: "healthy"}}},
		{Name: "sidekiq", Replicas: []compose.Replica{
			{Name: "mastodon-sidekiq-1", Number: 1, State: "running", StartedAt: up, Image: "ghcr.io/mastodon/mastodon:v4.5.0"},
			{Name: "mastodon-sidekiq-2", Number: 2, State: "running", StartedAt: psNow.Add(-5 * time.Minute), Image: "ghcr.io/mastodon/mastodon:v4.5.0"},
			{Name: "mastodon-sidekiq-3", Number: 3, State: "exited", ExitCode: 137, FinishedAt: psNow.Add(-3 * time.Minute), Image: "ghcr.io/mastodon/mastodon:v4.5.0"},
		}},
		{Name: "web", Replicas: []compose.Replica{{Name: "mastodon-web-1", Number: 1, State: "running", StartedAt: up, Health: "unhealthy", Image: "ghcr.io/mastodon/mastodon:v4.5.0"}}},
		{Name: "streaming", Replicas: []compose.Replica{{Name: "mastodon-streaming-1", Number: 1, State: "restarting", Image: "ghcr.io/mastodon/mastodon-streaming@sha256:0123456789abcdef0123"}}},
	}, OneOffs: []compose.Replica{{Name: "mastodon-web-run-0123456789ab", State: "running"}}}
	r := svcRegistry(t, &fakeServices{PsFunc: func() (*compose.Status, error) { return st, nil }})
	got, err := runLine(t, r, "ps")
	if err != nil {
		t.Fatal(err)
	}
	want := `mastodon: 4/6 running
db 1/1 up 3d · healthy · 14-alpine
sidekiq 2/3 up 5m · #3 exited (137) 3m ago · v4.5.0
web 1/1 up 2h12m · unhealthy · v4.5.0
streaming 0/1 · restarting · @sha256:0123456789ab
one-off: mastodon-web-run-0123456789ab running`
	if got != want {
		t.Errorf("ps:\n%s\nwant:\n%s", got, want)
	}
	if n := len([]rune(got)); n > 500 {
		t.Errorf("ps is %d characters, more than a toot", n)
	}
}

func TestStopAndRestartGuardWebAndStreaming(t *testing.T) {
	f := &fakeServices{
		PlanFunc: func(a compose.Action, s string) (*compose.Plan, error) {
			return &compose.Plan{Action: a, Target: s, Steps: []compose.Step{{Service: s, Containers: []compose.Container{{Name: "mastodon-" + s + "-1"}}}}}, nil
		},
		DoFunc: func(a compose.Action, s string, o compose.ActionOptions) (*compose.Outcome, error) {
			return &compose.Outcome{Done: []string{"mastodon-" + s + "-1"}, RestartAlways: []string{"mastodon-" + s + "-1"}}, nil
		},
	}
	r := svcRegistry(t, f)
	for _, line := range []string{"stop web", "restart streaming", "stop all", "restart all"} {
		_, err := planLine(t, r, line)
		if err == nil || !strings.Contains(ops.SafeText(err), "without --i-know") {
			t.Errorf("%q plan: %v, want a refusal without --i-know", line, err)
		}
		if _, err := runLine(t, r, line); err == nil {
			t.Errorf("%q ran without --i-know", line)
		}
	}
	plan, err := planLine(t, r, "stop web --i-know --timeout 5")
	if err != nil || plan != "will stop web (mastodon-web-1); each container gets 5s to stop" {
		t.Errorf("plan = %q, %v", plan, err)
	}
	var gotTimeout *time.Duration
	f.DoFunc = func(a compose.Action, s string, o compose.ActionOptions) (*compose.Outcome, error) {
		gotTimeout = o.Timeout
		return &compose.Outcome{Done: []string{"mastodon-" + s + "-1"}, RestartAlways: []string{"mastodon-" + s + "-1"}}, nil
	}
	text, err := runLine(t, r, "stop web --i-know --timeout 5")
	if err != nil || gotTimeout == nil || *gotTimeout != 5*time.Second {
		t.Fatalf("stop: %q, %v, timeout %v", text, err, gotTimeout)
	}
	if !strings.HasPrefix(text, "stopped mastodon-web-1 in ") || !strings.Contains(text, "restart: always, so Docker starts it again when the daemon or the host restarts") {
		t.Errorf("stop reply %q", text)
	}
	// sidekiq needs no --i-know; start never does.
	if _, err := planLine(t, r, "restart sidekiq"); err != nil {
		t.Errorf("restart sidekiq: %v", err)
	}
	if _, err := planLine(t, r, "start web"); err != nil {
		t.Errorf("start web: %v", err)
	}
}

func TestServiceLocks(t *testing.T) {
	r := svcRegistry(t, &fakeServices{})
	for line, want := range map[string][]string{
		"restart sidekiq":                                    {"service:sidekiq"},
		"stop all --i-know":                                  {"project"},
		"scale sidekiq=3":                                    {"service:sidekiq"},
		"run web -- tootctl media remove":                    {"tootctl:media"},
		"run web -- tootctl accounts prune":                  {"tootctl:accounts"},
		"media cleanup":                                      {"tootctl:media"},
		"media estimate --days 3":                            {"tootctl:media"},
		"start web":                                          {"service:web"},
		"logs web 5":                                         nil,
		"run sidekiq -- tootctl cache clear":                 {"tootctl:cache"},
		"run web -- tootctl version":                         {"tootctl:version"},
		"run web -- tootctl media remove --days 7 --dry-run": {"tootctl:media"},
	} {
		inv, err := r.Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		var got []string
		if inv.Command.Locks != nil {
			got = inv.Command.Locks(inv)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q locks %v, want %v", line, got, want)
		}
	}
}

func TestScaleTexts(t *testing.T) {
	f := &fakeServices{
		PlanScaleFn: func(s string, n int) (*compose.ScalePlan, error) {
			return &compose.ScalePlan{Service: s, From: 1, To: n, Template: "mastodon-sidekiq-1", Create: []string{"mastodon-sidekiq-2", "mastodon-sidekiq-3"}}, nil
		},
		ScaleFunc: func(s string, n int) (*compose.ScaleOutcome, error) {
			return &compose.ScaleOutcome{Created: []string{"mastodon-sidekiq-2", "mastodon-sidekiq-3"}}, nil
		},
	}
	r := svcRegistry(t, f)
	plan, err := planLine(t, r, "scale sidekiq=3")
	if want := "will scale sidekiq from 1 to 3: create mastodon-sidekiq-2, mastodon-sidekiq-3 from mastodon-sidekiq-1's configuration"; err != nil || plan != want {
		t.Errorf("plan %q, %v; want %q", plan, err, want)
	}
	text, err := runLine(t, r, "scale sidekiq=3")
	if want := "sidekiq: 3 running; created mastodon-sidekiq-2, mastodon-sidekiq-3"; err != nil || text != want {
		t.Errorf("reply %q, %v; want %q", text, err, want)
	}
	if _, err := planLine(t, r, "scale web=0"); err == nil || !strings.Contains(ops.SafeText(err), "without --i-know") {
		t.Errorf("scale web=0: %v", err)
	}
	if _, err := r.Parse("scale sidekiq=51"); err == nil {
		t.Error("scale sidekiq=51 parsed")
	}
}

func TestLogsText(t *testing.T) {
	ts := psNow
	f := &fakeServices{LogsFunc: func(s string, o compose.LogOptions) (*compose.Logs, error) {
		if o.Lines != 2 || o.Since != 10*time.Minute || o.Grep != "error" {
			t.Errorf("options %+v", o)
		}
		return &compose.Logs{Service: s, Containers: []string{"mastodon-sidekiq-1", "mastodon-sidekiq-2"}, Matched: 5, Dropped: 3,
			Lines: []compose.LogLine{{Number: 2, Time: ts, Text: "ERROR one"}, {Number: 1, Time: ts, Text: "error two"}}}, nil
	}}
	r := svcRegistry(t, f)
	text, err := runLine(t, r, "logs sidekiq 2 --since 10m --grep error")
	want := `sidekiq, lines with "error", since 10m0s — 2 lines from mastodon-sidekiq-1, mastodon-sidekiq-2:
#2 ERROR one
#1 error two
(3 older lines cut to fit a reply; ask for fewer, or narrow with --grep or --since)`
	if err != nil || text != want {
		t.Errorf("logs:\n%s\nwant:\n%s", text, want)
	}
}

func TestRunChecksPolicyWhenParsed(t *testing.T) {
	r := svcRegistry(t, &fakeServices{})
	for line, want := range map[string]string{
		"run web -- tootctl accounts delete alice": "is not an allowed one-off command",
		"run web -- tootctl media remove --days x": "--days takes a whole number",
		"run web -- tootctl media remove --force":  "flag --force is not allowed",
		"run web -- sh -c 'tootctl media remove'":  "is not an allowed one-off command",
	} {
		_, err := r.Parse(line)
		var ue *commands.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want a usage error with %q", line, err, want)
		}
	}
	inv, err := r.Parse("run web -- tootctl media remove --days 7 --dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Rest(); !slices.Equal(got, []string{"tootctl", "media", "remove", "--days", "7", "--dry-run"}) {
		t.Errorf("rest %q", got)
	}
}

func TestRunReportsExitCode(t *testing.T) {
	f := &fakeServices{RunFunc: func(s string, cmd []string) (*compose.RunResult, error) {
		return &compose.RunResult{Container: "mastodon-web-run-0123456789ab", ExitCode: 3, Lines: 40, Took: 2 * time.Second,
			Tail: []string{"line 38", "line 39", "line 40"}}, nil
	}}
	r := svcRegistry(t, f)
	text, err := runLine(t, r, "run web -- tootctl accounts prune")
	if err == nil || ops.SafeText(err) != "`tootctl accounts prune` exited with code 3" {
		t.Errorf("err %v", err)
	}
	want := "exit code 3 after 2s — mastodon-web-run-0123456789ab, removed\nlast 3 of 40 output lines:\nline 38\nline 39\nline 40"
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
}

func TestMediaTexts(t *testing.T) {
	var got compose.MediaOptions
	f := &fakeServices{MediaFunc: func(o compose.MediaOptions) (*compose.MediaResult, error) {
		got = o
		return &compose.MediaResult{Options: o, Found: true, Removed: 12, Size: "1.2 GB", DryRun: o.DryRun, Errors: 1,
			Run: &compose.RunResult{Container: "mastodon-web-run-0123456789ab", Took: 95 * time.Second}}, nil
	}}
	r := svcRegistry(t, f)
	text, err := runLine(t, r, "media cleanup")
	if want := "removed 12 cached media attachments older than 14 days (approx. 1.2 GB); 1 could not be processed (\"Error processing\" lines)\n(mastodon-web-run-0123456789ab, 1m35s)"; err != nil || text != want || got.Days != 14 || got.DryRun {
		t.Errorf("cleanup: %q, %v, options %+v", text, err, got)
	}
	text, err = runLine(t, r, "media estimate --days 30")
	if err != nil || !strings.HasPrefix(text, "would remove 12 cached media attachments older than 30 days (approx. 1.2 GB); nothing was deleted") || !got.DryRun || got.Days != 30 {
		t.Errorf("estimate: %q, %v, %+v", text, err, got)
	}
	plan, err := planLine(t, r, "media cleanup --days 3")
	if want := "will remove cached remote media older than 3 days: `tootctl media remove --days 3` in a one-off web container (removed after)"; err != nil || plan != want {
		t.Errorf("plan %q, %v", plan, err)
	}
	// Without the summary line, the job fails and shows the output.
	f.MediaFunc = func(o compose.MediaOptions) (*compose.MediaResult, error) {
		return &compose.MediaResult{Options: o, Run: &compose.RunResult{Container: "c", Lines: 1, Tail: []string{"Sidekiq is down"}}}, nil
	}
	text, err = runLine(t, r, "media cleanup")
	if err == nil || !strings.Contains(text, "Sidekiq is down") {
		t.Errorf("no summary: %q, %v", text, err)
	}
}

func TestUnconfiguredCommandsSaySo(t *testing.T) {
	r := commands.NewRegistry()
	if err := r.Add(commands.ServiceCommands(compose.Unconfigured{}, commands.ServiceOptions{})...); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"ps", "logs web", "scale sidekiq=2", "run web -- tootctl version", "media cleanup", "restart sidekiq"} {
		inv, err := r.Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		var text string
		if inv.Command.Plan != nil {
			_, err = inv.Command.Plan(context.Background(), inv)
		} else {
			text, err = inv.Command.Run(context.Background(), &commands.Request{Inv: inv, Progress: nopProgress{}})
		}
		if !strings.Contains(ops.SafeText(err), "no [compose] section") {
			t.Errorf("%q: %q, %v", line, text, err)
		}
	}
}
