package upgrade

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// Start begins the planned run as job jobID and runs it to the end or to a failure.
// An unfinished earlier run refuses it.
func (u *Upgrader) Start(ctx context.Context, pl *Plan, jobID uint64, by string, p ops.Progress) (*Run, error) {
	if last, ok, err := u.Status(); err != nil {
		return nil, err
	} else if ok && (last.State == InProgress || last.State == HandedOver) {
		return nil, unfinished(last)
	}
	if len(pl.Blocking) > 0 {
		return nil, &ops.Error{Msg: "the upgrade is blocked: " + strings.Join(pl.Blocking, "; ")}
	}
	r := pl.Run
	r.ID, r.By, r.State, r.Started = jobID, by, InProgress, u.o.Now()
	if err := u.save(r); err != nil {
		return nil, err
	}
	return r, u.execute(ctx, r, p)
}

// Resume goes on with an unfinished run from the step it stopped at: after a stop of
// the bot during it, or after a failure past the point of no return that a person has
// looked into. Every step can run twice safely.
func (u *Upgrader) Resume(ctx context.Context, jobID uint64, p ops.Progress) (*Run, error) {
	r, ok, err := u.Status()
	if err != nil {
		return nil, err
	}
	if !ok || (r.State != InProgress && r.State != HandedOver) {
		return nil, &ops.Error{Msg: "no unfinished upgrade to resume", Hint: "`upgrade status` shows the last one"}
	}
	r.ID, r.State, r.Failure, r.Handover = jobID, InProgress, "", ""
	if err := u.save(r); err != nil {
		return nil, err
	}
	return r, u.execute(ctx, r, p)
}

// Abort gives up an unfinished run: before the post-deployment migrations it puts the
// old images back (as a failure would); after them it refuses, since only a restore goes
// back, and says how.
func (u *Upgrader) Abort(ctx context.Context, p ops.Progress) (*Run, error) {
	defer p.Done()
	r, ok, err := u.Status()
	if err != nil {
		return nil, err
	}
	if !ok || (r.State != InProgress && r.State != HandedOver) {
		return nil, &ops.Error{Msg: "no unfinished upgrade to abort", Hint: "`upgrade status` shows the last one"}
	}
	if r.pastNoReturn() {
		return r, &ops.Error{Msg: "the post-deployment migrations have run: the old version cannot simply come back", Hint: u.handover(ctx, r)}
	}
	u.rollback(ctx, r, p)
	r.State, r.Ended, r.Failure = Aborted, u.o.Now(), "aborted by an admin"
	return r, u.save(r)
}

// execute runs the steps from the current one.
func (u *Upgrader) execute(ctx context.Context, r *Run, p ops.Progress) error {
	defer p.Done()
	for i := r.current(); i < len(r.Steps); i++ {
		s := &r.Steps[i]
		s.Status, s.Started, s.Detail, s.Output = Running, u.o.Now(), "", nil
		s.Attempts++
		if err := u.save(r); err != nil {
			return err
		}
		p.Report(int64(i), int64(len(r.Steps)), s.Name())
		detail, err := u.do(ctx, r, s, stepProgress{p, int64(i), int64(len(r.Steps)), s.Name()})
		s.Took = u.o.Now().Sub(s.Started)
		s.Detail = detail
		if err != nil {
			s.Status = Failed
			if s.Detail == "" {
				s.Detail = ops.SafeText(err)
			}
			var out interface{ Lines() []string }
			if errors.As(err, &out) {
				s.Output = out.Lines()
			}
			return u.fail(ctx, r, s, err, p)
		}
		if detail == "skipped" {
			s.Status, s.Detail = Skipped, ""
		} else {
			s.Status = Done
		}
		if err := u.save(r); err != nil {
			return err
		}
	}
	r.State, r.Ended = Succeeded, u.o.Now()
	u.o.Log.Info().Str("from", r.From).Str("to", r.To).Dur("took", r.Ended.Sub(r.Started)).Msg("upgrade done")
	return u.save(r)
}

// stepProgress prefixes a step's own reports with the run's position.
type stepProgress struct {
	p           ops.Progress
	done, total int64
	name        string
}

func (s stepProgress) Report(_, _ int64, note string) {
	s.p.Report(s.done, s.total, s.name+": "+note)
}
func (s stepProgress) Done() {}

// fail leaves the safest state for where the run stopped, records it and returns the
// step's error, worded for the admin.
func (u *Upgrader) fail(ctx context.Context, r *Run, s *Step, cause error, p ops.Progress) error {
	// The instance must be put right even when the job was cancelled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	r.Failure = fmt.Sprintf("%s failed: %s", s.Name(), ops.SafeText(cause))
	if ctx.Err() == nil && errors.Is(cause, context.Canceled) {
		r.Failure = s.Name() + " cancelled"
	}
	if r.pastNoReturn() {
		r.State = HandedOver
		if u.o.Maintenance != nil {
			if on, err := u.o.Maintenance.On("upgrade to " + r.To + " stopped at " + s.Name()); err != nil {
				r.Handover += "could not turn maintenance on: " + ops.SafeText(err) + "\n"
			} else if on {
				r.MaintenanceMine = true
			}
		}
		r.Handover += u.handover(ctx, r)
	} else {
		u.rollback(ctx, r, p)
		r.State = RolledBack
	}
	r.Ended = u.o.Now()
	if err := u.save(r); err != nil {
		u.o.Log.Error().Err(err).Msg("upgrade state not saved")
	}
	u.o.Log.Error().Str("step", s.Name()).Str("state", string(r.State)).Err(cause).Msg("upgrade failed")
	return &ops.Error{Msg: r.Failure, Hint: string(r.State) + "; `upgrade status` has the report", Err: cause}
}

// rollback puts the old images back on every service that was recreated, the compose
// file's old image lines, and turns off a maintenance page the run turned on. Each
// part is tried whatever the others did; what failed goes into r.Failure.
func (u *Upgrader) rollback(ctx context.Context, r *Run, p ops.Progress) {
	var problems []string
	for i := len(r.Steps) - 1; i >= 0; i-- {
		s := &r.Steps[i]
		if s.Status == Pending || s.Status == Skipped {
			continue
		}
		switch s.Kind {
		case ComposeFile:
			if err := u.rewriteCompose(r, r.Old); err != nil {
				problems = append(problems, "compose file: "+ops.SafeText(err))
			}
		case Recreate:
			for _, svc := range u.sortedServices(r.Old) {
				if _, err := u.o.Engine.Recreate(ctx, svc, r.Old[svc], compose.RecreateOptions{WaitHealthy: u.o.HealthTimeout}, ops.NoProgress{}); err != nil {
					problems = append(problems, "putting "+svc+" back on "+r.Old[svc]+": "+ops.SafeText(err))
				}
			}
		}
	}
	if r.MaintenanceMine && u.o.Maintenance != nil {
		if _, err := u.o.Maintenance.Off(); err != nil {
			problems = append(problems, "maintenance off: "+ops.SafeText(err))
		} else {
			r.MaintenanceMine = false
		}
	}
	if len(problems) > 0 {
		r.Failure += "; putting the old version back had problems: " + strings.Join(problems, "; ")
		r.Handover = "check the services by hand: `ps`"
	} else {
		r.Failure += "; the old version " + r.From + " runs again"
	}
	if r.Announcement != "" && u.o.Publisher != nil {
		_, _ = u.o.Publisher.Announce(ctx, "The upgrade to Mastodon "+r.To+" is postponed; the server runs "+r.From+" as before.", true)
	}
}

// handover is what a person needs after the point of no return.
func (u *Upgrader) handover(ctx context.Context, r *Run) string {
	var b strings.Builder
	b.WriteString("maintenance stays on; the new images run with the migrations as far as they got.")
	if r.BackupKey != "" {
		fmt.Fprintf(&b, " The backup taken before the upgrade is %s.", r.BackupKey)
		if u.o.Backups != nil {
			if cmd, err := u.o.Backups.RestoreCommand(ctx, r.BackupKey); err == nil {
				b.WriteString(" To restore it:\n" + cmd)
			}
		}
	}
	b.WriteString("\nOnce fixed, `upgrade resume` goes on from the failed step.")
	return b.String()
}

// do runs one step and returns a short result ("skipped" to mark it skipped).
func (u *Upgrader) do(ctx context.Context, r *Run, s *Step, p ops.Progress) (string, error) {
	switch s.Kind {
	case Pull:
		imgs := r.New[s.Version]
		seen := map[string]bool{}
		for _, svc := range u.sortedServices(imgs) {
			ref := imgs[svc]
			if seen[ref] {
				continue
			}
			seen[ref] = true
			if err := u.o.Engine.Pull(ctx, ref, p); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%d image(s)", len(seen)), nil

	case Backup:
		res, err := u.o.Backups.Backup(ctx, r.ID, p)
		if err != nil {
			return "", err
		}
		r.BackupKey = res.Record.Key
		if _, err := u.o.Backups.Verify(ctx, r.BackupKey, p); err != nil {
			return "", &ops.Error{Msg: "the backup " + r.BackupKey + " did not pass its restore check: " + ops.SafeText(err), Err: err}
		}
		return r.BackupKey + ", restore check OK", nil

	case Announce:
		downtime := "none expected"
		if r.Downtime {
			downtime = "a few minutes (" + strings.Join(r.Reasons, "; ") + ")"
		}
		text := fill(u.o.AnnounceTemplate, r.To, downtime, r.NotesURL)
		ref, err := u.o.Publisher.Announce(ctx, text, false)
		if err != nil {
			return "", err
		}
		r.Announcement = ref
		return ref, nil

	case MaintenanceOn:
		on, err := u.o.Maintenance.On("upgrade to " + r.To)
		if err != nil {
			return "", err
		}
		if on {
			r.MaintenanceMine = true
		}
		return "", nil

	case PreMigrate, PostMigrate:
		env := []string{}
		if s.Kind == PreMigrate {
			env = append(env, "SKIP_POST_DEPLOYMENT_MIGRATIONS=true")
		}
		web := u.o.Services[0]
		res, err := u.o.Engine.RunImage(ctx, web, r.New[s.Version][web], env, []string{"bundle", "exec", "rails", "db:migrate"}, p)
		if err != nil {
			return "", err
		}
		if res.ExitCode != 0 {
			return "", &outputError{msg: fmt.Sprintf("rails db:migrate exited with code %d: %s", res.ExitCode, lastLine(res.Tail)), lines: res.Tail}
		}
		return fmt.Sprintf("%d lines of output in %s", res.Lines, round(res.Took)), nil

	case Recreate:
		imgs := r.New[s.Version]
		var done []string
		for _, svc := range u.sortedServices(imgs) {
			if _, err := u.o.Engine.Recreate(ctx, svc, imgs[svc], compose.RecreateOptions{WaitHealthy: u.o.HealthTimeout}, p); err != nil {
				return "", err
			}
			done = append(done, svc)
		}
		return strings.Join(done, ", ") + " on " + s.Version, nil

	case ComposeFile:
		if r.ComposeFile == "" {
			return "skipped", nil
		}
		if err := u.rewriteCompose(r, r.New[s.Version]); err != nil {
			return "", err
		}
		return r.ComposeFile, nil

	case ReleaseTasks:
		web := u.o.Services[0]
		for _, task := range r.Tootctl {
			res, err := u.o.Engine.RunImage(ctx, web, r.New[r.To][web], nil, strings.Fields(task), p)
			if err != nil {
				return "", err
			}
			if res.ExitCode != 0 {
				return "", &outputError{msg: fmt.Sprintf("%s exited with code %d: %s", task, res.ExitCode, lastLine(res.Tail)), lines: res.Tail}
			}
		}
		return strings.Join(r.Tootctl, "; "), nil

	case Assets:
		return u.assets(ctx, r)

	case Health:
		return u.health(ctx, r, p)

	case MaintenanceOff:
		if _, err := u.o.Maintenance.Off(); err != nil {
			return "", err
		}
		r.MaintenanceMine = false
		return "", nil

	case Complete:
		text := fill(u.o.DoneTemplate, r.To, "", r.NotesURL)
		ref, err := u.o.Publisher.Announce(ctx, text, r.Announcement != "")
		if err != nil {
			// The instance is upgraded and healthy: a toot that did not go out must not
			// turn the maintenance page on. The report says so.
			return "not posted: " + ops.SafeText(err), nil
		}
		return ref, nil
	}
	return "", fmt.Errorf("upgrade: unknown step %q", s.Kind)
}

// outputError is a failed program, with its last output lines for the report.
type outputError struct {
	msg   string
	lines []string
}

func (e *outputError) Error() string   { return e.msg }
func (e *outputError) Safe() string    { return e.msg }
func (e *outputError) Lines() []string { return e.lines }

func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return "(no output)"
}

func fill(tmpl, version, downtime, notes string) string {
	return strings.NewReplacer("{version}", version, "{downtime}", downtime, "{notes}", notes).Replace(tmpl)
}

// rewriteCompose sets the compose file's image lines to images, touching nothing else.
func (u *Upgrader) rewriteCompose(r *Run, images map[string]string) error {
	if r.ComposeFile == "" {
		return nil
	}
	data, err := os.ReadFile(r.ComposeFile)
	if err != nil {
		return &ops.Error{Msg: "cannot read the compose file " + r.ComposeFile + ": " + err.Error(), Hint: "the bot must see the project directory at the same path as the Docker host"}
	}
	out, _, err := compose.RewriteImages(data, images)
	if err != nil {
		return err
	}
	if string(out) == string(data) {
		return nil
	}
	// Keeps the admin's mode and owner; a crash leaves the old file or the new one.
	if err := ops.ReplaceFile(r.ComposeFile, out); err != nil {
		return &ops.Error{Msg: "cannot replace the compose file: " + err.Error(), Hint: "the bot needs write access to the compose file's directory"}
	}
	return nil
}

// assets copies public/ out of the new image into AssetsDir/public-vX.Y.Z and points
// the "current" symlink at it in one rename, for nginx. The previous version's copy
// stays (cached pages still name its hashed files); older ones are removed.
func (u *Upgrader) assets(ctx context.Context, r *Run) (string, error) {
	web := u.o.Services[0]
	dst := filepath.Join(u.o.AssetsDir, "public-"+r.To)
	tmp := dst + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	if err := u.o.Engine.CopyFromImage(ctx, r.New[r.To][web], "/opt/mastodon/public", tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	// The media volume is not the image's to give (the copy may land as public/ or as
	// its contents).
	_ = os.RemoveAll(filepath.Join(tmp, "public", "system"))
	_ = os.RemoveAll(filepath.Join(tmp, "system"))
	_ = os.RemoveAll(dst)
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	target := filepath.Join(dst, "public")
	if _, err := os.Stat(target); err != nil {
		target = dst
	}
	link := filepath.Join(u.o.AssetsDir, "current")
	prev, _ := os.Readlink(link)
	if err := compose.SwapSymlink(link, target); err != nil {
		return "", err
	}
	out := link + " → " + target
	removed, err := pruneAssets(u.o.AssetsDir, dst, prev)
	if len(removed) > 0 {
		out += "; removed old copies " + strings.Join(removed, ", ")
	}
	if err != nil {
		out += "; could not remove an old copy: " + err.Error()
	}
	return out, nil
}

// assetsDirName is the bot's name for a version's copy of public/.
var assetsDirName = regexp.MustCompile(`^public-v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// pruneAssets removes the copies of public/ in dir other than the new one (keep) and the
// one the link pointed at before (prev: cached pages still name its hashed files, and a
// rollback points back at it). Only directories named like the bot's are touched.
func pruneAssets(dir, keep, prev string) (removed []string, err error) {
	if !filepath.IsAbs(prev) && prev != "" {
		prev = filepath.Join(dir, prev)
	}
	if filepath.Base(prev) == "public" {
		prev = filepath.Dir(prev)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() || !assetsDirName.MatchString(e.Name()) || p == filepath.Clean(keep) || p == filepath.Clean(prev) {
			continue
		}
		if rerr := os.RemoveAll(p); rerr != nil {
			err = errors.Join(err, rerr)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, err
}

// health waits for web's /health, streaming's health and the three versions to agree
// on the target.
func (u *Upgrader) health(ctx context.Context, r *Run, p ops.Progress) (string, error) {
	deadline := u.o.Now().Add(u.o.HealthTimeout)
	var last error
	for {
		last = u.healthy(ctx, r)
		if last == nil {
			return "web, streaming and the three versions agree on " + r.To, nil
		}
		p.Report(0, 0, ops.SafeText(last))
		if u.o.Now().After(deadline) {
			return "", &ops.Error{Msg: fmt.Sprintf("not healthy within %s: %s", u.o.HealthTimeout, ops.SafeText(last)), Err: last}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (u *Upgrader) healthy(ctx context.Context, r *Run) error {
	if err := u.ping(ctx, u.o.WebURL+"/health"); err != nil {
		return err
	}
	if u.o.StreamingURL != "" {
		if err := u.ping(ctx, u.o.StreamingURL+"/api/v1/streaming/health"); err != nil {
			return err
		}
	}
	vs, err := u.Versions(ctx)
	if err != nil {
		return err
	}
	want, _ := parseCore(r.To)
	if !vs.Agree() {
		return &ops.Error{Msg: vs.String()}
	}
	if got, _ := parseCore(vs.Image); got != want {
		return &ops.Error{Msg: "running " + vs.Image + ", not " + r.To}
	}
	return nil
}
