package ops

// Progress receives reports from a long action. Implementations throttle: an action may
// call Report as often as it likes. done and total are in the action's own unit (bytes,
// steps, containers); total is 0 when unknown. note is a short line such as the current
// table. Done is called exactly once, when the action ends, whatever its outcome.
type Progress interface {
	Report(done, total int64, note string)
	Done()
}

// NoProgress discards every report; for actions run where nobody watches.
type NoProgress struct{}

func (NoProgress) Report(int64, int64, string) {}
func (NoProgress) Done()                       {}

var _ Progress = NoProgress{}
