package compose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// Limits and pacing of FollowLogs.
const (
	// FollowNoteChars caps a progress note of FollowLogs, its header and the newest lines
	// together, so that the reply edited in place stays within one toot.
	FollowNoteChars = 360
	// noteLineRunes cuts each line a progress note shows; noteLines is the most it shows.
	noteLineRunes = 160
	noteLines     = 40
	// noteMinRunes: an older line is shown cut only when this much room is left.
	noteMinRunes = 40
	// followEvery is the least time between two progress reports, unless told otherwise.
	followEvery = time.Second
	// followHeartbeat is the least time between two reports that only update the counts
	// (with --grep, lines are read but none matches): an edit for news, not for every line.
	followHeartbeat = time.Minute
	// followSettle is the pause before looking again at a container whose log stream ended
	// (it stopped, or the daemon dropped the stream). It doubles, up to followBackoff, while
	// reopening brings nothing; an Engine event about the container ends it at once.
	followSettle  = time.Second
	followBackoff = 30 * time.Second
	// stoppedRecheck is how often a stopped container is looked at again.
	stoppedRecheck = 3 * time.Second
	// followReplay is how far back the event stream starts: a container started while
	// following began is not missed, and replayed events are harmless.
	followReplay = "3s"
	// maxFollowNames bounds the container names a Followed lists.
	maxFollowNames = 20
	// followPoll is how often the containers are looked at while the daemon's event
	// stream is down, and the stream asked for again.
	followPoll = 5 * time.Second
)

// FollowOptions select what FollowLogs keeps and shows.
type FollowOptions struct {
	// Lines is how many of the last lines are kept (all replicas together): the progress
	// note shows the newest that fit, the result all of them. It is also the tail each
	// replica starts from. 0 means DefaultLogLines.
	Lines int
	// Since limits the lines following starts from to those newer than this; 0 means no
	// limit (the last Lines lines of each replica).
	Since time.Duration
	// Grep keeps only lines containing this, in any case; the tail each replica starts
	// from is then looked for in its last GrepWindow lines, as Logs does.
	Grep string
	// MaxBytes caps the text of the result's lines, newest kept; 0 means DefaultLogBytes.
	MaxBytes int
	// Hint is a line put under the header of every progress note, such as how to stop.
	Hint string
	// Every is the least time between two progress reports; 0 means a second.
	Every time.Duration

	poll time.Duration // followPoll, shortened by tests
}

// Followed is what FollowLogs saw.
type Followed struct {
	Service    string
	Containers []string // the containers followed, in the order they were found (at most 20)
	Replicas   int      // how many replica numbers were followed: lines carry theirs when more than one
	Took       time.Duration
	Backlog    int64 // lines read from before following began: the tail each replica started from
	Seen       int64 // lines logged while following, all replicas together
	Matched    int64 // of those, the lines that contain Grep (all of them without it)
	Restarts   int64 // runs of a followed container that started while following
	Joined     int64 // containers that appeared while following: recreated or scaled up
	Lines      []LogLine
	Dropped    int // of the last Lines lines kept, the older ones cut to keep within MaxBytes
}

// eventWatcher is what following needs besides reading logs: the daemon's events, which
// say when a container of the service starts (again) or is removed. *client.Client has it.
type eventWatcher interface {
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
}

var _ eventWatcher = (*client.Client)(nil)

// FollowLogs follows the logs of every replica of a service, like `docker compose logs
// --follow --tail N`, until ctx ends: it then returns what it saw with ctx's error. Each
// replica starts from its last lines; new lines are reported as progress (the newest that
// fit in a note, at most every opts.Every and only when something changed). A container
// that restarts, and one that appears (recreated, scaled up), is followed too: the
// daemon's events for the project's service say when, and its stream is reopened just
// after the last line read, so nothing is read twice. Memory stays bounded however long
// it runs: a ring of the last lines, lines cut at a maximum length, nothing kept per line.
func (p *Project) FollowLogs(ctx context.Context, service string, o FollowOptions, progress ops.Progress) (*Followed, error) {
	defer progress.Done()
	if o.Lines <= 0 {
		o.Lines = DefaultLogLines
	}
	o.Lines = min(o.Lines, MaxLogLines)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultLogBytes
	}
	if o.Every <= 0 {
		o.Every = followEvery
	}
	if o.poll <= 0 {
		o.poll = followPoll
	}
	watcher, ok := p.eng.(eventWatcher)
	if !ok {
		return nil, errors.New("compose: the Engine client cannot watch events")
	}
	fctx, cancel := context.WithCancel(ctx)
	f := &follower{
		p: p, service: service, o: o, watcher: watcher, cancel: cancel, began: p.now(),
		ring:     newRing(o.Lines, o.Grep),
		trackers: map[string]*tracker{}, numbers: map[int]bool{}, exited: make(chan string),
	}
	defer f.stop()
	// Watch before listing, so that no start in between is missed.
	f.watch(fctx)
	svc, err := p.discoverService(fctx, service)
	if err != nil {
		return nil, err
	}
	if err := f.begin(fctx, svc.Containers); err != nil {
		return nil, err
	}
	p.log.Info().Str("service", service).Int("containers", len(svc.Containers)).Msg("following logs")
	f.loop(fctx, progress)
	f.stop()
	res := f.result()
	p.log.Info().Str("service", service).Dur("took", res.Took).Int64("seen", res.Seen).Int64("matched", res.Matched).
		Int64("restarts", res.Restarts).Int64("joined", res.Joined).Msg("stopped following logs")
	return res, ctx.Err()
}

// follower is one FollowLogs: a tracker per container, and the loop that watches events
// and reports.
type follower struct {
	p       *Project
	service string
	o       FollowOptions
	watcher eventWatcher
	began   time.Time
	ring    *ring

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once

	// Owned by the loop.
	trackers map[string]*tracker
	exited   chan string // a tracker's container is gone
	sub      *subscription
	polling  bool
	reported struct { // the last note, and what it was made of
		note         string
		at           time.Time
		news, seen   int64
		status       string
		replicasSeen int
	}

	restarts, joined atomic.Int64

	mu        sync.Mutex // guards what follows
	names     []string   // the first maxFollowNames containers followed
	numbers   map[int]bool
	trouble   string // the last problem, until its container reads again
	troubleID string // the id of that container; "" for the service
}

// subscription is an event stream and how to end it.
type subscription struct {
	msgs   <-chan events.Message
	errs   <-chan error
	cancel context.CancelFunc
}

// watch asks the daemon for the start and destroy events of the service's containers.
func (f *follower) watch(ctx context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	filters := make(client.Filters).
		Add("type", string(events.ContainerEventType)).
		Add("event", string(events.ActionStart), string(events.ActionDestroy)).
		Add("label", LabelProject+"="+f.p.name, LabelService+"="+f.service)
	res := f.watcher.Events(wctx, client.EventsListOptions{Since: followReplay, Filters: filters})
	f.sub = &subscription{msgs: res.Messages, errs: res.Err, cancel: cancel}
}

// unwatch ends the event stream and waits for the client's reader to end.
func (f *follower) unwatch() {
	if f.sub == nil {
		return
	}
	f.sub.cancel()
	for range f.sub.errs {
	}
	f.sub = nil
}

// stop ends the trackers and the event stream, and waits for them.
func (f *follower) stop() {
	f.stopOnce.Do(func() {
		f.cancel()
		f.wg.Wait()
		f.unwatch()
	})
}

// begin reads the last lines of every container, in time order into the ring, and starts
// a tracker for each.
func (f *follower) begin(ctx context.Context, cs []Container) error {
	starts := make([]opening, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { starts[i], errs[i] = f.backlog(ctx, c) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var all []LogLine
	for _, s := range starts {
		all = append(all, s.lines...)
	}
	slices.SortStableFunc(all, byTime)
	for _, l := range all {
		f.ring.keep(l)
	}
	for _, s := range starts {
		if s.gone {
			continue
		}
		f.ring.backlogged(s.read)
		f.followed(s.c.Name, s.c.Number)
		t := &tracker{f: f, id: s.c.ID, name: s.c.Name, number: s.c.Number, tty: s.tty, run: s.run, after: s.after, wake: make(chan struct{}, 1)}
		f.trackers[t.id] = t
		f.wg.Go(func() { t.loop(ctx) })
	}
	return nil
}

// opening is where a container's following starts.
type opening struct {
	c     Container
	gone  bool      // removed before it could be read
	tty   bool      // a TTY container: its stream is raw
	run   time.Time // State.StartedAt of its current or last run
	after time.Time // what is older has been read, or is before Since
	lines []LogLine // its last lines that match
	read  int       // how many lines were read
}

// backlog reads a container's last lines, as Logs does.
func (f *follower) backlog(ctx context.Context, c Container) (opening, error) {
	res, err := f.p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		if isNotFound(err) {
			return opening{gone: true}, nil
		}
		return opening{}, f.p.engineError("inspect "+c.Name, err)
	}
	op := opening{c: c, tty: res.Container.Config != nil && res.Container.Config.Tty, run: startedAt(res.Container.State)}
	tail := f.o.Lines
	if f.o.Grep != "" {
		tail = GrepWindow
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: strconv.Itoa(tail)}
	if f.o.Since > 0 {
		opts.Since = f.o.Since.String()
		// No line between then and now is left unread even when none came back.
		op.after = time.Now().Add(-f.o.Since)
	}
	rc, err := f.p.eng.ContainerLogs(ctx, c.ID, opts)
	if err != nil {
		if isNotFound(err) {
			return opening{gone: true}, nil
		}
		return opening{}, f.p.engineError("read the logs of "+c.Name, err)
	}
	defer rc.Close()
	keep := &lineKeeper{container: c.Name, number: c.Number, max: f.o.Lines, grep: f.ring.grep}
	err = readLines(rc, op.tty, func(line []byte, stderr bool) {
		op.read++
		if ts := keep.add(line, stderr); ts.After(op.after) {
			op.after = ts
		}
	})
	if err != nil {
		return opening{}, f.p.engineError("read the logs of "+c.Name, err)
	}
	op.lines = keep.last()
	return op, nil
}

// startedAt reads State.StartedAt; zero for a container never started.
func startedAt(s *container.State) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s.StartedAt)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// loop handles events and reports until ctx ends.
func (f *follower) loop(ctx context.Context, progress ops.Progress) {
	tick := time.NewTicker(f.o.Every)
	defer tick.Stop()
	var poll *time.Ticker
	defer func() {
		if poll != nil {
			poll.Stop()
		}
	}()
	f.report(progress, true)
	for {
		var msgs <-chan events.Message
		var errs <-chan error
		var polls <-chan time.Time
		if f.sub != nil {
			msgs, errs = f.sub.msgs, f.sub.errs
		}
		if poll != nil {
			polls = poll.C
		}
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			f.event(ctx, m)
		case err := <-errs:
			if ctx.Err() != nil {
				return
			}
			// The daemon ended the stream (it restarts, or a proxy refuses /events): look
			// at the containers now and then until it is back.
			f.p.log.Warn().Err(err).Str("service", f.service).Msg("following logs: the event stream ended; polling")
			f.unwatch()
			f.polling = true
			if poll == nil {
				poll = time.NewTicker(f.o.poll)
			}
		case <-polls:
			f.sync(ctx)
			f.unwatch()
			f.watch(ctx)
			select {
			case err := <-f.sub.errs:
				// Still down: try again at the next poll.
				f.p.log.Debug().Err(err).Msg("following logs: the event stream is still down")
				f.sub.cancel()
				f.sub = nil
			default:
				f.polling = false
				poll.Stop()
				poll = nil
				f.sync(ctx) // what happened while it was down
			}
		case id := <-f.exited:
			delete(f.trackers, id)
		case <-tick.C:
			f.report(progress, false)
		}
	}
}

// event handles an Engine event about a container of the service.
func (f *follower) event(ctx context.Context, m events.Message) {
	if t, ok := f.trackers[m.Actor.ID]; ok {
		t.poke()
		return
	}
	if m.Action != events.ActionStart {
		return
	}
	a := m.Actor.Attributes
	if _, ok := a[LabelConfigHash]; !ok || strings.EqualFold(a[LabelOneOff], "true") {
		return // a one-off, or not made by Compose
	}
	if wd := a[LabelWorkingDir]; f.p.dir != "" && wd != "" && wd != f.p.dir {
		return
	}
	n, _ := strconv.Atoi(a[LabelNumber])
	f.join(ctx, m.Actor.ID, a["name"], n)
}

// sync looks at the service's containers: the new ones are followed, and the trackers of
// the others look at theirs again. It stands in for the events while they are down.
func (f *follower) sync(ctx context.Context) {
	snap, err := f.p.discover(ctx, f.p.eng)
	if err != nil {
		f.problem("", err)
		return
	}
	f.solved("")
	svc, ok := snap.Service(f.service)
	if !ok {
		return
	}
	for _, c := range svc.Containers {
		if t, ok := f.trackers[c.ID]; ok {
			t.poke()
		} else {
			f.join(ctx, c.ID, c.Name, c.Number)
		}
	}
}

// join follows a container that appeared while following, from its first line.
func (f *follower) join(ctx context.Context, id, name string, number int) {
	t := &tracker{f: f, id: id, name: name, number: number, joined: true, wake: make(chan struct{}, 1)}
	f.trackers[id] = t
	f.wg.Go(func() { t.loop(ctx) })
}

// followed records a container whose lines are read.
func (f *follower) followed(name string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.numbers[number] = true
	if slices.Contains(f.names, name) {
		return
	}
	if len(f.names) < maxFollowNames {
		f.names = append(f.names, name)
	}
}

// problem records what went wrong with a container (id "" for the service as a whole),
// for the progress note and the log.
func (f *follower) problem(id string, err error) {
	f.p.log.Warn().Err(err).Str("service", f.service).Str("container", id).Msg("following logs")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trouble, f.troubleID = ops.SafeText(err), id
}

// solved clears the problem of a container that reads again.
func (f *follower) solved(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.troubleID == id {
		f.trouble, f.troubleID = "", ""
	}
}

// report sends a new progress note when something changed (new matching lines, a restart,
// a problem) or, once in a while, only the counts; else the last note again.
func (f *follower) report(progress ops.Progress, force bool) {
	c := f.ring.counts()
	f.mu.Lock()
	status := f.trouble
	replicas := len(f.numbers)
	f.mu.Unlock()
	if f.polling {
		status += "\x00polling"
	}
	if len(f.trackers) == 0 {
		status += "\x00none"
	}
	now := time.Now()
	r := &f.reported
	changed := c.news != r.news || status != r.status || replicas != r.replicasSeen
	heartbeat := c.seen != r.seen && now.Sub(r.at) >= followHeartbeat
	if !force && !changed && !heartbeat {
		// The same note again: a reply that paces its edits (Mastodon's, every 15 s) may
		// have held the last one back, and sends it now; one already sent is not edited.
		progress.Report(0, 0, r.note)
		return
	}
	r.at, r.news, r.seen, r.status, r.replicasSeen = now, c.news, c.seen, status, replicas
	r.note = f.note(c)
	progress.Report(0, 0, r.note)
}

// note is a progress note: what is followed, for how long, the counts, the hint, a problem
// if any, then the newest lines that fit in FollowNoteChars, newest last.
func (f *follower) note(c ringCounts) string {
	f.mu.Lock()
	replicas, trouble := len(f.numbers), f.trouble
	f.mu.Unlock()
	var b strings.Builder
	b.WriteString("following " + f.service)
	if replicas > 1 {
		fmt.Fprintf(&b, " (%d replicas)", replicas)
	}
	if d := f.p.now().Sub(f.began).Round(time.Second); d > 0 {
		b.WriteString(" for " + d.String())
	}
	fmt.Fprintf(&b, ": %d new %s", c.seen, plural(c.seen, "line"))
	if f.o.Grep != "" {
		fmt.Fprintf(&b, ", %d with %q", c.matched, f.o.Grep)
	}
	if n := f.restarts.Load(); n > 0 {
		fmt.Fprintf(&b, "; %d %s", n, plural(n, "restart"))
	}
	if n := f.joined.Load(); n > 0 {
		fmt.Fprintf(&b, "; %d new %s", n, plural(n, "container"))
	}
	if f.o.Hint != "" {
		b.WriteString("\n" + f.o.Hint)
	}
	if trouble != "" {
		b.WriteString("\n(trouble: " + trouble + ")")
	}
	if f.polling {
		b.WriteString("\n(Docker's events are down: looking every " + f.o.poll.String() + ")")
	}
	if len(f.trackers) == 0 {
		b.WriteString("\n(no container of " + f.service + " is left: waiting for one)")
	}
	budget := FollowNoteChars - utf8.RuneCountInString(b.String())
	lines := f.ring.last(noteLines)
	slices.SortStableFunc(lines, byTime)
	var shown []string
	for i := len(lines) - 1; i >= 0 && budget > 1; i-- {
		s := lines[i].Text
		if replicas > 1 {
			s = "#" + strconv.Itoa(lines[i].Number) + " " + s
		}
		n := utf8.RuneCountInString(s)
		if len(shown) > 0 && n >= budget && budget <= noteMinRunes {
			break // an older line would show too little of itself to be worth it
		}
		s = cutRunes(s, min(noteLineRunes, budget-1))
		budget -= utf8.RuneCountInString(s) + 1
		shown = append(shown, s)
	}
	if len(shown) == 0 {
		if f.o.Grep != "" {
			b.WriteString("\nno line with " + strconv.Quote(f.o.Grep) + " yet")
		} else {
			b.WriteString("\nwaiting for lines…")
		}
	}
	for i := len(shown) - 1; i >= 0; i-- {
		b.WriteString("\n" + shown[i])
	}
	return b.String()
}

// result is what was followed, once the trackers have stopped.
func (f *follower) result() *Followed {
	c := f.ring.counts()
	f.mu.Lock()
	res := &Followed{
		Service: f.service, Containers: slices.Clone(f.names), Replicas: len(f.numbers),
		Took: f.p.now().Sub(f.began), Backlog: c.backlog, Seen: c.seen, Matched: c.matched,
		Restarts: f.restarts.Load(), Joined: f.joined.Load(),
	}
	f.mu.Unlock()
	lines := f.ring.last(0)
	slices.SortStableFunc(lines, byTime)
	size := 0
	first := len(lines)
	for first > 0 && size+len(lines[first-1].Text)+1 <= f.o.MaxBytes {
		first--
		size += len(lines[first].Text) + 1
	}
	res.Lines, res.Dropped = lines[first:], first
	return res
}

// tracker follows one container: it reads the stream of the current run to its end, then
// waits until the container starts again (an event pokes it) or is removed.
type tracker struct {
	f      *follower
	id     string
	name   string
	number int
	joined bool // appeared while following: read from its first line
	wake   chan struct{}

	// Owned by the tracker's goroutine.
	tty      bool
	run      time.Time // State.StartedAt of the run last followed
	after    time.Time // the time of the last line read: a stream opened again starts just after it
	got      int       // lines read by the current stream
	troubled bool
}

// poke makes the tracker look at its container again.
func (t *tracker) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// pause waits for a poke or d (0: no limit); it reports false when ctx ended.
func (t *tracker) pause(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.wake:
	case <-timeout:
	}
	return true
}

func (t *tracker) loop(ctx context.Context) {
	defer func() {
		select {
		case t.f.exited <- t.id:
		case <-ctx.Done():
		}
	}()
	wait := followSettle
	for {
		res, err := t.f.p.eng.ContainerInspect(ctx, t.id, client.ContainerInspectOptions{})
		switch {
		case ctx.Err() != nil:
			return
		case isNotFound(err):
			return // removed
		case err != nil:
			t.trouble(t.f.p.engineError("inspect "+t.name, err))
			if !t.pause(ctx, wait) {
				return
			}
			wait = min(2*wait, followBackoff)
			continue
		}
		in := res.Container
		if in.Config != nil {
			t.tty = in.Config.Tty
		}
		if t.joined && t.name == "" {
			t.name = strings.TrimPrefix(in.Name, "/")
		}
		run := startedAt(in.State)
		running := in.State != nil && in.State.Running
		fresh := !run.Equal(t.run) // a run not read yet
		if !running && !fresh {
			// Stopped, and its last run read: until it starts again or is removed. An
			// event pokes the tracker at once; a look every few seconds covers an event
			// the daemon sent late or not at all (seen under load).
			if !t.pause(ctx, stoppedRecheck) {
				return
			}
			wait = followSettle
			continue
		}
		if fresh {
			switch {
			case t.joined && t.run.IsZero():
				t.f.joined.Add(1)
				t.f.followed(t.name, t.number)
			case !t.run.IsZero():
				t.f.restarts.Add(1)
			}
		}
		t.run = run
		t.got = 0
		if err := t.follow(ctx); err != nil && ctx.Err() == nil {
			t.trouble(err)
		}
		if ctx.Err() != nil {
			return
		}
		// The stream ends when the container stops. Look again soon; later and later
		// while reopening brings nothing (a daemon that keeps dropping the stream).
		if t.got > 0 || fresh {
			wait = followSettle
		} else {
			wait = min(2*wait, followBackoff)
		}
		if !t.pause(ctx, wait) {
			return
		}
	}
}

// follow reads the container's stream from just after the last line read, until the
// container stops or ctx ends.
func (t *tracker) follow(ctx context.Context) error {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: true}
	if !t.after.IsZero() {
		opts.Since = t.after.Add(time.Nanosecond).UTC().Format(time.RFC3339Nano)
	}
	rc, err := t.f.p.eng.ContainerLogs(ctx, t.id, opts)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return t.f.p.engineError("read the logs of "+t.name, err)
	}
	defer rc.Close()
	if err := readLines(rc, t.tty, t.line); err != nil {
		return t.f.p.engineError("read the logs of "+t.name, err)
	}
	return nil
}

// line takes one line of the stream. Nothing of it is kept but in the ring.
func (t *tracker) line(raw []byte, stderr bool) {
	ts, text := splitTimestamp(raw)
	if ts.After(t.after) {
		t.after = ts
	}
	t.got++
	if t.troubled && t.got == 1 {
		t.troubled = false
		t.f.solved(t.id)
	}
	t.f.ring.add(LogLine{Container: t.name, Number: t.number, Time: ts, Stderr: stderr, Text: CleanLine(text)})
}

func (t *tracker) trouble(err error) {
	t.troubled = true
	t.f.problem(t.id, err)
}

// ring keeps the last lines that match, and counts.
type ring struct {
	grep string // lower case

	mu      sync.Mutex
	lines   []LogLine // fixed length: the lines kept
	next    int       // where the next line goes
	full    bool
	counted ringCounts
}

type ringCounts struct {
	backlog, seen, matched int64
	news                   int64 // lines kept so far, backlog included: a change means news
}

func newRing(n int, grep string) *ring {
	return &ring{grep: strings.ToLower(grep), lines: make([]LogLine, n)}
}

// add counts a line read while following, and keeps it if it matches.
func (r *ring) add(l LogLine) {
	match := r.grep == "" || strings.Contains(strings.ToLower(l.Text), r.grep)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counted.seen++
	if match {
		r.counted.matched++
		r.keepLocked(l)
	}
}

// keep keeps a line of the backlog, already matched.
func (r *ring) keep(l LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keepLocked(l)
}

func (r *ring) keepLocked(l LogLine) {
	r.lines[r.next] = l
	r.next++
	if r.next == len(r.lines) {
		r.next, r.full = 0, true
	}
	r.counted.news++
}

// backlogged counts n lines read from before following began.
func (r *ring) backlogged(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counted.backlog += int64(n)
}

func (r *ring) counts() ringCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counted
}

// last returns a copy of the last n lines kept (n <= 0: all), oldest first.
func (r *ring) last(n int) []LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.next
	if r.full {
		kept = len(r.lines)
	}
	if n <= 0 || n > kept {
		n = kept
	}
	out := make([]LogLine, n)
	for i := range n {
		out[i] = r.lines[(r.next-n+i+len(r.lines))%len(r.lines)]
	}
	return out
}

func byTime(a, b LogLine) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Number, b.Number))
}

// cutRunes cuts s to at most n runes, the last being "…" when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	i, k := 0, 0
	for k < n-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		k++
	}
	return s[:i] + "…"
}

func plural[N int | int64](n N, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// FollowLogs says what is missing, as every operation of Unconfigured does.
func (u Unconfigured) FollowLogs(_ context.Context, _ string, _ FollowOptions, p ops.Progress) (*Followed, error) {
	p.Done()
	return nil, u.err()
}
