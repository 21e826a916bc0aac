package commands

import (
	"context"
	"strings"

	"github.com/tootops/tootops/audit"
)

// AuditTrail reads the audit log.
type AuditTrail interface {
	Last(n int) ([]audit.Entry, error)
}

// Audit returns the `audit [N]` command.
func Audit(trail AuditTrail) Command {
	return Command{
		Name:    "audit",
		Group:   jobsGroup,
		Summary: "show the last entries of the audit log",
		Help:    "Every command, refusal, confirmation, cancellation and scheduled run is recorded with who, what, the outcome and the job. Newest first.",
		Args:    []Arg{{Name: "N", Help: "how many entries", Kind: Int, Optional: true, Min: 1, Max: 100, Example: "20"}},
		Inline:  true,
		Run: func(_ context.Context, req *Request) (string, error) {
			n := 10
			if req.Inv.Has("N") {
				n = int(req.Inv.Int("N"))
			}
			entries, err := trail.Last(n)
			if err != nil {
				return "", err
			}
			if len(entries) == 0 {
				return "the audit log is empty", nil
			}
			lines := make([]string, len(entries))
			for i, e := range entries {
				lines[i] = e.String()
			}
			return strings.Join(lines, "\n"), nil
		},
	}
}
