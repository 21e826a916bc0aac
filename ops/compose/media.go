package compose

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/tootops/tootops/ops"
)

// MediaService is the service whose image runs tootctl.
const MediaService = "web"

// MediaOptions are the arguments of MediaCleanup.
type MediaOptions struct {
	Days   int  // remove cached remote media older than this many days
	DryRun bool // tootctl's --dry-run: count, delete nothing
}

// MediaResult is what `tootctl media remove` reported.
type MediaResult struct {
	Options  MediaOptions
	Command  []string
	Found    bool   // the summary line was found
	Removed  int    // media attachments (or, with --prune-profiles, accounts visited)
	Size     string // as tootctl wrote it: "1.2 GB"
	DryRun   bool   // tootctl said (DRY RUN)
	Summary  string // the summary line as printed
	Errors   int    // "Error processing …" lines
	Run      *RunResult
	ExitCode int
}

var (
	// Mastodon 4.x lib/mastodon/cli/media.rb: "Removed #{n} media attachments (approx.
	// #{size})#{dry_run_mode_suffix}", and with --prune-profiles "Visited #{n} accounts
	// and removed profile media totaling #{size}".
	mediaRemovedRE = regexp.MustCompile(`Removed ([0-9][0-9,]*) media attachments \(approx\. ([^)]*)\)`)
	mediaProfileRE = regexp.MustCompile(`Visited ([0-9][0-9,]*) accounts and removed profile media totaling ([0-9.]+ ?[A-Za-z]+)`)
	dryRunRE       = regexp.MustCompile(`\(DRY RUN\)`)
)

// ParseMediaSummary reads a summary line of `tootctl media remove`.
func ParseMediaSummary(line string) (removed int, size string, dryRun, ok bool) {
	m := mediaRemovedRE.FindStringSubmatch(line)
	if m == nil {
		m = mediaProfileRE.FindStringSubmatch(line)
	}
	if m == nil {
		return 0, "", false, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		return 0, "", false, false
	}
	return n, strings.TrimSpace(m[2]), dryRunRE.MatchString(line), true
}

// MediaCommand is the tootctl command line MediaCleanup runs.
func MediaCommand(o MediaOptions) []string {
	cmd := []string{"tootctl", "media", "remove", "--days", strconv.Itoa(o.Days)}
	if o.DryRun {
		cmd = append(cmd, "--dry-run")
	}
	return cmd
}

// PlanMedia checks that the project has a web service to run tootctl in.
func (p *Project) PlanMedia(ctx context.Context, o MediaOptions) (*RunPlan, error) {
	tmpl, err := p.oneOffTemplate(ctx, MediaService)
	if err != nil {
		return nil, err
	}
	return &RunPlan{Service: MediaService, Template: tmpl.Name, Command: MediaCommand(o)}, nil
}

// MediaCleanup runs `tootctl media remove --days N [--dry-run]` in a one-off web container
// and reads its summary line. It is its own command, not subject to the run policy. A
// non-zero exit, or no summary, is in the result, not an error.
func (p *Project) MediaCleanup(ctx context.Context, o MediaOptions, progress ops.Progress) (*MediaResult, error) {
	defer progress.Done()
	if o.Days < 1 {
		return nil, &ops.Error{Msg: "--days must be 1 or more"}
	}
	out := &MediaResult{Options: o, Command: MediaCommand(o)}
	run, err := p.runOneOff(ctx, MediaService, out.Command, func(_ bool, line string) {
		if strings.HasPrefix(line, "Error processing") {
			out.Errors++
		}
		if n, size, dry, ok := ParseMediaSummary(line); ok {
			out.Found, out.Removed, out.Size, out.DryRun, out.Summary = true, n, size, dry, line
		}
	}, progress)
	out.Run = run
	if run != nil {
		out.ExitCode = run.ExitCode
	}
	return out, err
}
