package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// MediaCleaner is what media cleanup and media estimate need.
type MediaCleaner interface {
	PlanMedia(ctx context.Context, o compose.MediaOptions) (*compose.RunPlan, error)
	MediaCleanup(ctx context.Context, o compose.MediaOptions, p ops.Progress) (*compose.MediaResult, error)
}

// mediaLock keeps two media removals apart, whether from media cleanup, media estimate,
// a schedule or run.
const mediaLock = "tootctl:media"

func daysFlag(days int) Flag {
	if days < 1 {
		days = 7
	}
	return Flag{Name: "days", Kind: Int, Placeholder: "N", Default: strconv.Itoa(days),
		Help: "remove cached remote media older than N days ([media] days)"}
}

// MediaCleanup returns the `media cleanup [--days N]` command: tootctl media remove in a
// one-off web container. days is [media] days, the default of --days.
func MediaCleanup(s MediaCleaner, days int) Command {
	return Command{
		Name:    "media cleanup",
		Group:   servicesGroup,
		Summary: "remove cached remote media older than N days (tootctl media remove)",
		Help: "Runs tootctl media remove --days N in a one-off container of the web service and reports its summary: how many media attachments were removed and roughly how much space that freed. Only the cache of other servers' media is removed; local uploads are never touched, and removed remote media is fetched again when someone views it. " +
			"--dry-run shows the plan only; `media estimate` counts what would be removed. [media] schedule runs it by itself.",
		Flags:   []Flag{daysFlag(days)},
		Changes: true,
		Locks:   func(*Invocation) []string { return []string{mediaLock} },
		Timeout: 2 * time.Hour,
		Plan: func(ctx context.Context, inv *Invocation) (string, error) {
			o := compose.MediaOptions{Days: int(inv.Int("days"))}
			pl, err := s.PlanMedia(ctx, o)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("will remove cached remote media older than %d days: `%s` in a one-off %s container (removed after)", o.Days, Quote(pl.Command...), pl.Service), nil
		},
		Run: func(ctx context.Context, req *Request) (string, error) {
			return runMedia(ctx, s, req, compose.MediaOptions{Days: int(req.Inv.Int("days"))})
		},
	}
}

// MediaEstimate returns the `media estimate [--days N]` command: tootctl media remove
// --dry-run, which counts and deletes nothing, so it asks no confirmation.
func MediaEstimate(s MediaCleaner, days int) Command {
	return Command{
		Name:    "media estimate",
		Group:   servicesGroup,
		Summary: "count the cached remote media media cleanup would remove (tootctl --dry-run)",
		Help:    "Runs tootctl media remove --days N --dry-run in a one-off web container: it goes through the cache like media cleanup but deletes nothing, and reports how many attachments and how much space a cleanup would free.",
		Flags:   []Flag{daysFlag(days)},
		Locks:   func(*Invocation) []string { return []string{mediaLock} },
		Timeout: 2 * time.Hour,
		Run: func(ctx context.Context, req *Request) (string, error) {
			return runMedia(ctx, s, req, compose.MediaOptions{Days: int(req.Inv.Int("days")), DryRun: true})
		},
	}
}

func runMedia(ctx context.Context, s MediaCleaner, req *Request, o compose.MediaOptions) (string, error) {
	res, err := s.MediaCleanup(ctx, o, req.Progress)
	if res == nil {
		return "", err
	}
	text := mediaText(res)
	if err != nil && ctx.Err() != nil && res.Run != nil {
		text = runText(res.Run, true)
	}
	switch {
	case err != nil:
		return text, err
	case res.ExitCode != 0:
		return text, &ops.Error{Msg: fmt.Sprintf("tootctl media remove exited with code %d", res.ExitCode)}
	case !res.Found:
		return text, &ops.Error{Msg: "tootctl media remove ended without its summary line", Hint: "the output below may tell why"}
	}
	return text, nil
}

func mediaText(r *compose.MediaResult) string {
	var b strings.Builder
	if r.Found {
		noun := "media attachments"
		if r.Removed == 1 {
			noun = "media attachment"
		}
		if r.DryRun {
			fmt.Fprintf(&b, "would remove %d cached %s older than %d days (approx. %s); nothing was deleted", r.Removed, noun, r.Options.Days, r.Size)
		} else {
			fmt.Fprintf(&b, "removed %d cached %s older than %d days (approx. %s)", r.Removed, noun, r.Options.Days, r.Size)
		}
		if r.Errors > 0 {
			fmt.Fprintf(&b, "; %d could not be processed (\"Error processing\" lines)", r.Errors)
		}
		if r.Run != nil {
			fmt.Fprintf(&b, "\n(%s, %s)", r.Run.Container, roundTook(r.Run.Took))
		}
		return b.String()
	}
	if r.Run != nil {
		return runText(r.Run, false)
	}
	return ""
}
