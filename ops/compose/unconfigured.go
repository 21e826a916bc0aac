package compose

import (
	"context"

	"github.com/tootops/tootops/ops"
)

// Unconfigured stands in for a Project that cannot be had: with no Err, the config has no
// [compose] section; else Err says why New failed. The commands exist all the same (for
// help) and say what is missing when run.
type Unconfigured struct {
	Err error
}

func (u Unconfigured) err() error {
	if u.Err != nil {
		return u.Err
	}
	return &ops.Error{Msg: "no [compose] section in the config", Hint: `add [compose] with project = "mastodon" (the Compose project name) to use the service commands`}
}

func (u Unconfigured) Ps(context.Context) (*Status, error) { return nil, u.err() }
func (u Unconfigured) PlanAction(context.Context, Action, string) (*Plan, error) {
	return nil, u.err()
}
func (u Unconfigured) Do(_ context.Context, _ Action, _ string, _ ActionOptions, p ops.Progress) (*Outcome, error) {
	p.Done()
	return nil, u.err()
}
func (u Unconfigured) PlanScale(context.Context, string, int) (*ScalePlan, error) {
	return nil, u.err()
}
func (u Unconfigured) Scale(_ context.Context, _ string, _ int, p ops.Progress) (*ScaleOutcome, error) {
	p.Done()
	return nil, u.err()
}
func (u Unconfigured) Logs(context.Context, string, LogOptions) (*Logs, error) {
	return nil, u.err()
}
func (u Unconfigured) CheckCommand([]string) error { return nil }
func (u Unconfigured) AllowedCommands() []string   { return nil }
func (u Unconfigured) PlanRun(context.Context, string, []string) (*RunPlan, error) {
	return nil, u.err()
}
func (u Unconfigured) Run(_ context.Context, _ string, _ []string, p ops.Progress) (*RunResult, error) {
	p.Done()
	return nil, u.err()
}
func (u Unconfigured) PlanMedia(context.Context, MediaOptions) (*RunPlan, error) {
	return nil, u.err()
}
func (u Unconfigured) MediaCleanup(_ context.Context, _ MediaOptions, p ops.Progress) (*MediaResult, error) {
	p.Done()
	return nil, u.err()
}
