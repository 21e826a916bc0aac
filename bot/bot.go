package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/audit"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

// inlineTimeout bounds a command answered at once (help, jobs, cancel…).
const inlineTimeout = time.Minute

// replyTimeout bounds posting one reply.
const replyTimeout = 30 * time.Second

// defaultProgressEvery is the least time between two edits of a progress reply, for
// transports that do not say (Mastodon asks for no more than one edit per 15 s).
const defaultProgressEvery = 15 * time.Second

// Options are what a Bot is built from.
type Options struct {
	Log         zerolog.Logger
	Store       *state.Store
	Info        Info
	Config      *config.Config
	LocalDomain string             // the instance's domain, for accts without one
	Commands    []commands.Command // the ops commands, built by main with their clients
	Schedules   []schedule.Entry
	// Host lists the host's systemd timers after the bot's own in `timers`; nil leaves
	// them out.
	Host commands.HostTimers
	Now  func() time.Time // nil means time.Now
	// PublisherReady, when set, receives the bot's publisher once it exists, for ops
	// commands built before the bot that post announcements (the upgrade).
	PublisherReady func(commands.Publisher)
}

// Bot is the pipeline every message goes through, whatever its transport.
type Bot struct {
	log       zerolog.Logger
	registry  *commands.Registry
	admins    *Allowlist
	runner    *jobs.Runner
	audit     countedAudit // counts what it records for /metrics
	confirms  *confirmations
	scheduler *schedule.Scheduler
	pub       *publisher
	now       func() time.Time
	polite    bool // strangers get one refusal an hour instead of silence
	host      commands.HostTimers
	health    *health
	metrics   *metrics

	requireRole bool
	rolesMu     sync.Mutex
	roles       roleChecker

	window         time.Duration
	secondAdmin    map[string]bool
	allowInlineYes bool
	timeouts       map[string]time.Duration

	mu          sync.Mutex
	interrupted []jobs.Job           // jobs cut off by the last stop whose senders are still to be told
	refused     map[string]time.Time // when each stranger was last audited
}

// refusalQuiet is how long the bot stays quiet about one stranger after auditing them:
// a flood of DMs from one account costs one audit entry an hour, not one per message.
const refusalQuiet = time.Hour

// New builds the bot: its registry, job runner, audit log, confirmations and schedules.
// Names the config gives to commands (second_admin, timeouts, schedules) are checked
// against the registry here, and reported as config problems.
func New(o Options) (*Bot, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Config
	b := &Bot{
		log:            o.Log.With().Str("component", "bot").Logger(),
		admins:         NewAllowlist(cfg.Admins.Accounts, o.LocalDomain),
		confirms:       &confirmations{store: o.Store, now: o.Now},
		now:            o.Now,
		window:         cfg.Confirm.Window.D(),
		secondAdmin:    make(map[string]bool),
		allowInlineYes: cfg.Confirm.AllowInlineYes,
		timeouts:       make(map[string]time.Duration),
		refused:        make(map[string]time.Time),
		pub:            newPublisher(o.Store, o.Log, cfg.Announce),
		polite:         cfg.Admins.Refusal == "polite",
		requireRole:    cfg.Admins.RequireRole,
		host:           o.Host,
	}
	b.health = newHealth(o)
	b.metrics = newMetrics(b)
	b.audit = countedAudit{Log: audit.New(o.Store, o.Log, o.Now), count: b.metrics.countCommand}
	runner, untold, err := jobs.New(jobs.Options{Store: o.Store, Log: o.Log, Now: o.Now, Keep: cfg.Jobs.Keep})
	if err != nil {
		return nil, err
	}
	b.runner, b.interrupted = runner, untold
	if b.registry, err = b.buildRegistry(o.Info, o.Commands); err != nil {
		return nil, err
	}
	if err := b.checkNames(cfg, o.Schedules); err != nil {
		return nil, err
	}
	b.scheduler, err = schedule.New(schedule.Options{
		Store: o.Store, Log: o.Log, Entries: o.Schedules, Run: b.runScheduled,
		CatchUp: cfg.Schedule.CatchUp.D(), Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	if o.PublisherReady != nil {
		o.PublisherReady(b.pub)
	}
	return b, nil
}

func (b *Bot) buildRegistry(info Info, extra []commands.Command) (*commands.Registry, error) {
	r := commands.NewRegistry()
	board := jobBoard{b.runner}
	cmds := []commands.Command{
		commands.Ping(info.Version, info.Started, b.now),
		commands.Whoami(),
		commands.Jobs(board, b.now),
		commands.Job(board, b.now),
		commands.Cancel(board, b.now),
		commands.Timers(timerSource{b}, b.host, b.now),
		commands.Audit(b.audit),
		commands.Yes(b.answer("yes")),
		commands.No(b.answer("no")),
		commands.Approve(b.answer("approve")),
		commands.Announce(b.pub),
	}
	if err := r.Add(append(cmds, extra...)...); err != nil {
		return nil, err
	}
	if err := r.Add(commands.Help(r)); err != nil {
		return nil, err
	}
	return r, nil
}

// checkNames resolves the command names the config uses.
func (b *Bot) checkNames(cfg *config.Config, entries []schedule.Entry) error {
	var ps config.Problems
	for _, name := range cfg.Confirm.SecondAdmin {
		c, ok := b.registry.Lookup(name)
		if !ok {
			ps = append(ps, config.Problem{Key: "confirm.second_admin", Msg: fmt.Sprintf("no command %q; see \"bot help\"", name)})
			continue
		}
		b.secondAdmin[c.Name] = true
	}
	for name, d := range cfg.Jobs.Timeouts {
		c, ok := b.registry.Lookup(name)
		if !ok {
			ps = append(ps, config.Problem{Key: "jobs.timeouts", Msg: fmt.Sprintf("no command %q; see \"bot help\"", name)})
			continue
		}
		b.timeouts[c.Name] = d.D()
	}
	for _, e := range entries {
		if _, err := b.registry.Parse(e.Line); err != nil {
			ps = append(ps, config.Problem{Key: e.Name + ".schedule", Msg: fmt.Sprintf("runs %q, which the bot does not understand: %v", e.Line, err)})
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// Registry is the bot's command registry (for help and docs).
func (b *Bot) Registry() *commands.Registry { return b.registry }

// Admins is the allow-list.
func (b *Bot) Admins() *Allowlist { return b.admins }

// StartSchedules arms the schedules. Catch-up of missed runs happens in the background,
// so a long catch-up never delays answering the admins.
func (b *Bot) StartSchedules(ctx context.Context) {
	b.health.sched.Store(schedStarting)
	go func() {
		err := b.scheduler.Start(ctx)
		b.health.schedulesStarted(err)
		if err != nil && ctx.Err() == nil {
			b.log.Error().Err(err).Msg("schedules did not start")
		}
	}()
}

// Close stops the schedules, then the jobs still running (they are recorded as
// interrupted), waiting until ctx ends.
func (b *Bot) Close(ctx context.Context) error {
	return errors.Join(b.scheduler.Stop(ctx), b.runner.Close(ctx))
}

// origin is where the message being handled came from, so an inline command that starts
// a job (yes, approve) can answer in the same thread, and the caller can wait for it.
type origin struct {
	tr      Transport
	msg     Message
	replied chan struct{} // closed once the answer to msg is sent: jobs it started reply after it
	mu      sync.Mutex
	started []<-chan struct{}
}

type originKey struct{}

func originFrom(ctx context.Context) *origin {
	o, _ := ctx.Value(originKey{}).(*origin)
	return o
}

func (o *origin) add(done <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, done)
}

// Handle authorizes, parses and answers one message. Commands answered at once are done
// when it returns; a job runs on, and the returned channel is closed once its result has
// been replied. Only a failure to reply is an error: what went wrong with the command
// itself is the reply.
func (b *Bot) Handle(ctx context.Context, tr Transport, msg Message) (<-chan struct{}, error) {
	log := b.log.With().Str("via", tr.Name()).Str("msg", msg.ID).Str("from", msg.Sender.Acct).Logger()
	if !b.admins.AllowsAccount(msg.Sender) {
		// No backscatter: a stranger learns nothing, not even that a bot listens.
		b.refuse(log, msg, tr)
		return closed(), nil
	}
	acct := b.admins.Normalize(msg.Sender.Acct)
	line := CommandLine(msg.Text)
	inv, err := b.registry.Parse(line)
	if err != nil {
		log.Info().Str("line", commands.Mask(line)).Err(err).Msg("command not understood")
		b.audit.Record(audit.Entry{Kind: audit.Command, Who: acct, Via: tr.Name(), Line: commands.Mask(line), Outcome: "not understood"})
		return closed(), b.reply(ctx, tr, msg, err.Error())
	}
	if refusal := b.checkRole(ctx, msg); refusal != "" {
		b.audit.Record(audit.Entry{Kind: audit.Refusal, Who: acct, Via: tr.Name(), Line: commands.Mask(line), Outcome: "refused", Detail: refusal})
		log.Warn().Str("reason", refusal).Msg("admin refused by role check")
		return closed(), b.reply(ctx, tr, msg, refusal)
	}
	sender := commands.Sender{Acct: acct, AccountID: msg.Sender.ID, DisplayName: msg.Sender.DisplayName, Admin: true, Via: tr.Name()}
	o := &origin{tr: tr, msg: msg, replied: make(chan struct{})}
	defer close(o.replied)
	ctx = context.WithValue(ctx, originKey{}, o)
	cmd := inv.Command
	var text string
	switch {
	case msg.Late && (cmd.Name == "yes" || cmd.Name == "approve"):
		text = fmt.Sprintf("%q was sent at %s, while I was away, and is too old to act on: confirmations must be fresh. Send the command again.", line, msg.At.UTC().Format("15:04Z"))
		b.audit.Record(audit.Entry{Kind: audit.Confirmation, Who: acct, Via: tr.Name(), Line: commands.Mask(line), Outcome: "too late"})
	case msg.Late && cmd.Changes && !inv.DryRun():
		// Never run a stale change on the strength of an inline --yes: ask again.
		text = fmt.Sprintf("(sent at %s, while I was away) ", msg.At.UTC().Format("15:04Z")) + b.propose(ctx, inv, sender, tr, msg, true)
	case cmd.Inline:
		text = b.inline(ctx, inv, sender)
	case cmd.Changes && inv.DryRun():
		text = b.dryRun(ctx, inv, sender)
	case cmd.Changes && !(inv.Yes() && b.allowInlineYes && !b.secondAdmin[cmd.Name]):
		text = b.propose(ctx, inv, sender, tr, msg, false)
	default:
		done, err := b.start(tr, msg, inv, sender, nil)
		if err != nil {
			return closed(), b.reply(ctx, tr, msg, cmd.Name+": "+ops.SafeText(err))
		}
		return done, nil
	}
	if err := b.reply(ctx, tr, msg, text); err != nil {
		return closed(), err
	}
	return all(o.started), nil
}

// roleChecker reads an account's role permissions on the instance.
type roleChecker interface {
	Permissions(ctx context.Context, accountID string) (uint64, error)
}

// The permission flags of Mastodon's UserRole that make an admin of the bot.
const (
	permAdministrator uint64 = 1 << 0
	permDevops        uint64 = 1 << 1
)

// SetRoleChecker gives the bot the account role lookups that [admins] require_role uses.
func (b *Bot) SetRoleChecker(c roleChecker) {
	b.rolesMu.Lock()
	defer b.rolesMu.Unlock()
	b.roles = c
}

// checkRole returns why an allow-listed admin is refused when [admins] require_role is
// on and their role on Mastodon no longer grants Administrator or DevOps, or "". It
// fails closed: a role that cannot be read refuses the command. Console messages carry
// no account id and are not checked: whoever runs the console has the machine already.
func (b *Bot) checkRole(ctx context.Context, msg Message) string {
	if !b.requireRole || msg.Sender.ID == "" {
		return ""
	}
	b.rolesMu.Lock()
	c := b.roles
	b.rolesMu.Unlock()
	if c == nil {
		return "I cannot check your Mastodon role yet, so I take no command: try again in a minute"
	}
	perms, err := c.Permissions(ctx, msg.Sender.ID)
	if err != nil {
		b.log.Warn().Err(err).Str("from", msg.Sender.Acct).Msg("role check failed")
		return "I could not check your Mastodon role ([admins] require_role), so I take no command: " + ops.SafeText(err)
	}
	if perms&(permAdministrator|permDevops) == 0 {
		return "your Mastodon role no longer grants Administrator or DevOps ([admins] require_role), so I take no commands from you"
	}
	return ""
}

// refuse records a message from a stranger: logged and audited once an hour per sender.
func (b *Bot) refuse(log zerolog.Logger, msg Message, tr Transport) {
	who := msg.Sender.Acct
	now := b.now()
	b.mu.Lock()
	last, seen := b.refused[who]
	quiet := seen && now.Sub(last) < refusalQuiet
	if !quiet {
		b.refused[who] = now
	}
	b.mu.Unlock()
	if quiet {
		log.Debug().Msg("message from a non-admin ignored")
		return
	}
	log.Warn().Msg("message from a non-admin refused; more from this sender within the hour are logged at debug level")
	outcome := "ignored"
	if b.polite {
		outcome = "refused politely"
		if err := b.reply(context.Background(), tr, msg, "Sorry, this account only takes commands from its admins."); err != nil {
			log.Warn().Err(err).Msg("refusal not sent")
		}
	}
	b.audit.Record(audit.Entry{Kind: audit.Refusal, Who: who, Via: tr.Name(), Outcome: outcome, Detail: "not in [admins] accounts"})
}

// inline runs a command answered at once, turning a panic into an error so one bad
// command never takes the bot down.
func (b *Bot) inline(ctx context.Context, inv *commands.Invocation, sender commands.Sender) (text string) {
	ctx, cancel := context.WithTimeout(ctx, inlineTimeout)
	defer cancel()
	started := b.now()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				b.log.Error().Str("command", inv.Command.Name).Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Msg("command panicked")
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		text, err = inv.Command.Run(ctx, &commands.Request{Inv: inv, Sender: sender, Progress: ops.NoProgress{}})
	}()
	kind := audit.Command
	switch inv.Command.Name {
	case "cancel":
		kind = audit.Cancellation
	case "yes", "no", "approve":
		kind = audit.Confirmation
	}
	entry := audit.Entry{Kind: kind, Who: sender.Acct, Via: sender.Via, Line: commands.Mask(inv.Line), Outcome: "ok", Duration: b.now().Sub(started)}
	if err != nil {
		b.log.Warn().Err(err).Str("command", inv.Command.Name).Msg("command failed")
		entry.Outcome, entry.Detail = "failed", ops.SafeText(err)
		text = inv.Command.Name + ": " + ops.SafeText(err)
	}
	b.audit.Record(entry)
	return text
}

// plan says what a state-changing command would do.
func (b *Bot) plan(ctx context.Context, inv *commands.Invocation) (string, error) {
	if inv.Command.Plan == nil {
		return "will run: " + inv.String(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, inlineTimeout)
	defer cancel()
	return inv.Command.Plan(ctx, inv)
}

func (b *Bot) dryRun(ctx context.Context, inv *commands.Invocation, sender commands.Sender) string {
	plan, err := b.plan(ctx, inv)
	entry := audit.Entry{Kind: audit.Command, Who: sender.Acct, Via: sender.Via, Line: commands.Mask(inv.Line), Outcome: "dry run"}
	if err != nil {
		entry.Outcome, entry.Detail = "dry run failed", ops.SafeText(err)
		b.audit.Record(entry)
		return inv.Command.Name + ": " + ops.SafeText(err)
	}
	b.audit.Record(entry)
	return "dry run, nothing was changed — " + plan
}

// propose asks the admin to confirm a state-changing command.
func (b *Bot) propose(ctx context.Context, inv *commands.Invocation, sender commands.Sender, tr Transport, msg Message, late bool) string {
	plan, err := b.plan(ctx, inv)
	if err != nil {
		b.audit.Record(audit.Entry{Kind: audit.Confirmation, Who: sender.Acct, Via: sender.Via, Line: commands.Mask(inv.Line), Outcome: "not proposed", Detail: ops.SafeText(err)})
		return inv.Command.Name + ": " + ops.SafeText(err)
	}
	now := b.now()
	second := b.secondAdmin[inv.Command.Name]
	p, err := b.confirms.propose(pending{
		Sender: sender.Acct, Via: sender.Via, ReplyTo: msg.ID, Line: inv.String(), Command: inv.Command.Name,
		Created: now, Expires: now.Add(b.window), NeedsSecond: second,
	})
	if err != nil {
		b.log.Error().Err(err).Msg("confirmation not stored")
		return inv.Command.Name + ": " + ops.SafeText(err)
	}
	b.audit.Record(audit.Entry{Kind: audit.Confirmation, Who: sender.Acct, Via: sender.Via, Line: commands.Mask(inv.Line), Outcome: "proposed " + p.Code})
	var q strings.Builder
	q.WriteString(plan + "\n")
	if second {
		fmt.Fprintf(&q, "This needs a second admin: another admin sends \"approve %s\" within %s.", p.Code, jobs.Round(b.window))
	} else {
		fmt.Fprintf(&q, "Reply \"yes\" (or \"yes %s\") within %s to go ahead, \"no\" to drop it.", p.Code, jobs.Round(b.window))
	}
	if inv.Yes() && !second && !late {
		q.WriteString(" (--yes is off here: [confirm] allow_inline_yes)")
	}
	return q.String()
}

// answer returns the handler of yes, no and approve.
func (b *Bot) answer(verb string) commands.Handler {
	return func(ctx context.Context, req *commands.Request) (string, error) {
		code := ""
		if req.Inv.Has("CODE") {
			code = req.Inv.Str("CODE")
		}
		p, expired, err := b.confirms.take(answer{verb: verb, sender: req.Sender.Acct, code: code})
		for _, e := range expired {
			b.audit.Record(audit.Entry{Kind: audit.Confirmation, Who: e.Sender, Via: e.Via, Line: commands.Mask(e.Line), Outcome: "expired " + e.Code})
		}
		if err != nil {
			return "", err
		}
		if verb == "no" {
			return fmt.Sprintf("dropped %s: %s", p.Code, p.Line), nil
		}
		inv, err := b.registry.Parse(p.Line)
		if err != nil { // the registry changed under a pending command (an upgrade of the bot)
			return "", &ops.Error{Msg: fmt.Sprintf("%s can no longer run: %v", p.Code, err)}
		}
		o := originFrom(ctx)
		// The job runs as its proposer's, and answers in the thread where it was confirmed.
		proposer := req.Sender
		proposer.Acct = p.Sender
		done, err := b.start(o.tr, o.msg, inv, proposer, o.replied)
		if err != nil {
			return "", err
		}
		o.add(done)
		what := "confirmed"
		if verb == "approve" {
			what = "approved by " + req.Sender.Acct
		}
		return fmt.Sprintf("%s %s — running: %s", p.Code, what, p.Line), nil
	}
}

// start runs the command as a job; the channel closes once its result has been replied.
// When after is not nil, the job's replies wait for it, so they never overtake the answer
// that announced the job.
func (b *Bot) start(tr Transport, msg Message, inv *commands.Invocation, sender commands.Sender, after <-chan struct{}) (<-chan struct{}, error) {
	line := commands.Mask(inv.Line)
	every := defaultProgressEvery
	if p, ok := tr.(interface{ ProgressEvery() time.Duration }); ok {
		every = p.ProgressEvery()
	}
	spec := b.spec(inv, sender)
	spec.ReplyTo = msg.ID
	spec.Progress = func(id uint64) ops.Progress {
		return &livingReply{tr: tr, msg: msg, every: every, now: b.now, after: after, title: fmt.Sprintf("job %d (%s)", id, line),
			onFail: func(err error) { b.log.Warn().Err(err).Uint64("job", id).Msg("progress reply failed") }}
	}
	_, results, err := b.runner.Start(spec)
	if err != nil {
		b.audit.Record(audit.Entry{Kind: audit.Command, Who: sender.Acct, Via: tr.Name(), Line: line, Outcome: "not started", Detail: ops.SafeText(err)})
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		res := <-results
		if after != nil {
			<-after
		}
		j := res.Job
		b.audit.Record(audit.Entry{Kind: audit.Command, Who: sender.Acct, Via: tr.Name(), Line: line, Outcome: string(j.State), Duration: j.Took(j.Ended), JobID: j.ID, Detail: j.Error})
		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		if err := b.reply(ctx, tr, msg, resultText(j, res.Text)); err != nil {
			b.log.Error().Err(err).Uint64("job", j.ID).Msg("job result not replied")
			return
		}
		if j.State == jobs.Interrupted {
			_ = b.runner.MarkNotified(j.ID)
		}
	}()
	return done, nil
}

// spec describes the job that runs inv for sender: its locks, its timeout (the config's
// override, else the command's own) and the action.
func (b *Bot) spec(inv *commands.Invocation, sender commands.Sender) jobs.Spec {
	cmd := inv.Command
	var names []string
	if cmd.Locks != nil {
		names = cmd.Locks(inv)
	}
	timeout := cmd.Timeout
	if d, ok := b.timeouts[cmd.Name]; ok {
		timeout = d
	}
	return jobs.Spec{
		Command: cmd.Name, Line: commands.Mask(inv.Line), Sender: sender.Acct, Via: sender.Via,
		Locks: jobs.Requests(names, cmd.Changes), Timeout: timeout,
		Run: func(ctx context.Context, id uint64, p ops.Progress) (string, error) {
			return cmd.Run(ctx, &commands.Request{Inv: inv, Sender: sender, Progress: p, JobID: id})
		},
	}
}

// resultText is the reply to a finished job. Jobs that took a while name their number,
// so the admin can find them again in "jobs".
func resultText(j jobs.Job, text string) string {
	text = strings.TrimRight(text, "\n")
	took := j.Took(j.Ended)
	switch j.State {
	case jobs.Succeeded:
		if text == "" {
			text = "done"
		}
		if took >= 10*time.Second {
			text += fmt.Sprintf("\n(job %d, took %s)", j.ID, jobs.Round(took))
		}
		return text
	case jobs.Cancelled:
		s := fmt.Sprintf("job %d (%s) %s after %s", j.ID, j.Line, j.Error, jobs.Round(took))
		if text != "" {
			s += ": " + text
		}
		return s
	case jobs.Interrupted:
		return fmt.Sprintf("job %d (%s) was interrupted: the bot is shutting down. It will not be re-run; send it again when the bot is back.", j.ID, j.Line)
	default:
		s := fmt.Sprintf("%s failed: %s", j.Command, j.Error)
		if text != "" {
			s += "\n" + text
		}
		return s + fmt.Sprintf("\n(job %d)", j.ID)
	}
}

// runScheduled runs a schedule's command line as a job from the schedule itself: the
// config is its authorization, so it asks no confirmation; a busy lock skips it.
func (b *Bot) runScheduled(ctx context.Context, e schedule.Entry) (string, error) {
	inv, err := b.registry.Parse(e.Line)
	if err != nil {
		return "", err
	}
	who := "schedule:" + e.Name
	line := commands.Mask(inv.Line)
	_, results, err := b.runner.Start(b.spec(inv, commands.Sender{Acct: who, Via: "schedule", Admin: true}))
	var busy *jobs.BusyError
	if errors.As(err, &busy) {
		b.audit.Record(audit.Entry{Kind: audit.Scheduled, Who: who, Via: "schedule", Line: line, Outcome: "skipped", Detail: busy.Error()})
		return "", fmt.Errorf("%w: %s", schedule.ErrSkipped, busy.Error())
	}
	if err != nil {
		return "", err
	}
	var res jobs.Result
	select {
	case res = <-results:
	case <-ctx.Done():
		res = <-results // the runner ends the job with its own context
	}
	j := res.Job
	b.audit.Record(audit.Entry{Kind: audit.Scheduled, Who: who, Via: "schedule", Line: line, Outcome: string(j.State), Duration: j.Took(j.Ended), JobID: j.ID, Detail: j.Error})
	b.reportScheduled(ctx, e, j)
	if j.State != jobs.Succeeded {
		return j.Summary, errors.New(j.Error)
	}
	return j.Summary, nil
}

// NotifyInterrupted tells the senders of jobs that a stop of the bot cut off, through
// the transport they came from; it returns how many it told.
func (b *Bot) NotifyInterrupted(ctx context.Context, tr Transport) int {
	b.mu.Lock()
	var mine, rest []jobs.Job
	for _, j := range b.interrupted {
		if j.Via == tr.Name() {
			mine = append(mine, j)
		} else {
			rest = append(rest, j)
		}
	}
	b.interrupted = rest
	b.mu.Unlock()
	told := 0
	for _, j := range mine {
		text := fmt.Sprintf("job %d (%s) was interrupted when the bot stopped at %s, after %s. It was not re-run; send it again if it is still needed.",
			j.ID, j.Line, j.Ended.UTC().Format("2006-01-02 15:04Z"), jobs.Round(j.Took(j.Ended)))
		msg := Message{ID: j.ReplyTo, Sender: Account{Acct: j.Sender}}
		if err := b.reply(ctx, tr, msg, text); err != nil {
			b.log.Warn().Err(err).Uint64("job", j.ID).Msg("could not tell the sender of an interrupted job")
			continue
		}
		if err := b.runner.MarkNotified(j.ID); err != nil {
			b.log.Warn().Err(err).Uint64("job", j.ID).Msg("interrupted job not marked as told")
		}
		told++
	}
	return told
}

func (b *Bot) reply(ctx context.Context, tr Transport, msg Message, text string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	if _, err := tr.Reply(ctx, msg, text); err != nil {
		return fmt.Errorf("reply to %s: %w", msg.ID, err)
	}
	return nil
}

// CommandLine picks the command out of a message: its first non-empty line. People often
// put the mention on a line of its own, and the transport has removed mentions already.
func CommandLine(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// all closes once every channel in cs is closed.
func all(cs []<-chan struct{}) <-chan struct{} {
	if len(cs) == 0 {
		return closed()
	}
	out := make(chan struct{})
	go func() {
		defer close(out)
		for _, c := range cs {
			<-c
		}
	}()
	return out
}

// jobBoard adapts the runner to what the job commands need.
type jobBoard struct{ r *jobs.Runner }

func (j jobBoard) List(n int) ([]jobs.Job, error)        { return j.r.List(n) }
func (j jobBoard) Get(id uint64) (jobs.Job, bool, error) { return j.r.Get(id) }
func (j jobBoard) HeldLocks() []string                   { return j.r.Locks().Held() }
func (j jobBoard) Cancel(ctx context.Context, id uint64, by string) (jobs.Job, error) {
	return j.r.Cancel(ctx, id, by)
}

// timerSource defers to the scheduler, which is built after the registry.
type timerSource struct{ b *Bot }

func (t timerSource) Timers() ([]schedule.Timer, error) { return t.b.scheduler.Timers() }
