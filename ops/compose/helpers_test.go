package compose_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/compose"
)

// testAllowed is the one-off policy of the daemon tests: the defaults, and the lab's
// commands for exit codes and cancellation.
var testAllowed = append([]string{"tootctl lab-exit 3", "tootctl lab-exit 0", "tootctl lab-sleep 60s"}, compose.DefaultAllowed...)

// up brings a lab project up and returns it with a compose.Project on it.
func up(t *testing.T, spec lab.Spec) (*compose.Project, *lab.Project) {
	t.Helper()
	cli := lab.Docker(t)
	lp := lab.Up(t, cli, spec)
	p, err := compose.New(compose.Options{Project: lp.Name, Client: cli, Allowed: testAllowed})
	if err != nil {
		t.Fatal(err)
	}
	return p, lp
}

// progress records reports.
type progress struct {
	mu    sync.Mutex
	notes []string
	done  int
}

func (p *progress) Report(_, _ int64, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, note)
}

func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
}

func (p *progress) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.notes, "\n")
}

func containsAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
