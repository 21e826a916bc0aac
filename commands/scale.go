package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// maxReplicas bounds scale: more sidekiq containers than this is a typo, not a plan.
const maxReplicas = 50

// Scale returns the `scale SERVICE=N [--i-know]` command.
func Scale(s ServiceScaler) Command {
	return Command{
		Name:    "scale",
		Group:   servicesGroup,
		Summary: "set how many containers a service runs",
		Help: "Works like docker compose scale: new containers take the numbers after the highest, are made from the lowest up-to-date container of the service (its image's own defaults apply, so a pulled image is used) and answer to the service name on its networks; scaling down stops and removes outdated containers first, then the highest numbers. " +
			"A service that publishes a fixed host port (web, streaming) cannot have a second container and is refused. Scaling to 0 keeps one container, stopped, so that the service can be scaled up again; scaling web or streaming to 0 needs --i-know.",
		Args:    []Arg{{Name: "SERVICE=N", Help: "the service and its number of containers", Kind: KeyValue, Min: 0, Max: maxReplicas, Example: "sidekiq=5"}},
		Flags:   []Flag{iKnowFlag},
		Changes: true,
		Locks: func(inv *Invocation) []string {
			svc, _ := inv.KeyValue("SERVICE=N")
			return []string{"service:" + svc}
		},
		Timeout: 10 * time.Minute,
		Plan: func(ctx context.Context, inv *Invocation) (string, error) {
			svc, n := inv.KeyValue("SERVICE=N")
			if err := scaleGuard(inv, svc, n); err != nil {
				return "", err
			}
			pl, err := s.PlanScale(ctx, svc, int(n))
			if err != nil {
				return "", err
			}
			if len(pl.Create)+len(pl.Remove)+len(pl.Start)+len(pl.Stop) == 0 {
				return "", &ops.Error{Msg: fmt.Sprintf("nothing to do: %s has %d running", svc, pl.From)}
			}
			return scalePlanText(pl), nil
		},
		Run: func(ctx context.Context, req *Request) (string, error) {
			svc, n := req.Inv.KeyValue("SERVICE=N")
			if err := scaleGuard(req.Inv, svc, n); err != nil {
				req.Progress.Done()
				return "", err
			}
			out, err := s.Scale(ctx, svc, int(n), req.Progress)
			return scaleText(svc, n, out), err
		},
	}
}

func scaleGuard(inv *Invocation, svc string, n int64) error {
	if n > 0 || inv.Bool(flagIKnow) || !slices.Contains(protected, svc) {
		return nil
	}
	return &ops.Error{
		Msg:  fmt.Sprintf("not scaling %s to 0 without --i-know: web and streaming carry the bot's own messages", svc),
		Hint: fmt.Sprintf("send %q if that is what you want", inv.String()+" --i-know"),
	}
}

func scalePlanText(pl *compose.ScalePlan) string {
	var parts []string
	if len(pl.Create) > 0 {
		parts = append(parts, fmt.Sprintf("create %s from %s's configuration", shortList(pl.Create), pl.Template))
	}
	if len(pl.Start) > 0 {
		parts = append(parts, "start "+shortList(pl.Start))
	}
	if len(pl.Remove) > 0 {
		parts = append(parts, fmt.Sprintf("stop and remove %s (outdated first, then the highest numbers)", shortList(pl.Remove)))
	}
	if len(pl.Stop) > 0 {
		parts = append(parts, fmt.Sprintf("stop %s and keep it, to scale up from later", shortList(pl.Stop)))
	}
	return fmt.Sprintf("will scale %s from %d to %d: %s", pl.Service, pl.From, pl.To, strings.Join(parts, "; "))
}

func scaleText(svc string, n int64, out *compose.ScaleOutcome) string {
	if out == nil {
		return ""
	}
	var parts []string
	for _, p := range []struct {
		verb  string
		names []string
	}{{"created", out.Created}, {"started", out.Started}, {"removed", out.Removed}, {"stopped", out.Stopped}} {
		if len(p.names) > 0 {
			parts = append(parts, p.verb+" "+shortList(p.names))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %d running; %s", svc, n, strings.Join(parts, "; "))
}
