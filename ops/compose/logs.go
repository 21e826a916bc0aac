package compose

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/tootops/tootops/ops"
)

// Limits of Logs.
const (
	DefaultLogLines = 20   // lines shown when the admin gives no number
	MaxLogLines     = 1000 // the most lines one request shows
	DefaultLogBytes = 4000 // the most text returned: a handful of toots
	// GrepWindow is how many lines per container a --grep looks through, counted back
	// from the newest.
	GrepWindow = 5000
	// maxLineRunes cuts a single long line (a stack trace on one line, a JSON blob).
	maxLineRunes = 400
)

// LogOptions select the lines Logs returns.
type LogOptions struct {
	Lines    int           // how many lines, all replicas together; 0 means DefaultLogLines
	Since    time.Duration // only lines newer than this; 0 means no limit
	Grep     string        // only lines containing this, in any case; with it, Lines counts matches
	MaxBytes int           // cap on the text returned; 0 means DefaultLogBytes
}

// LogLine is one line a container logged, cleaned of terminal escapes.
type LogLine struct {
	Container string
	Number    int
	Time      time.Time
	Stderr    bool
	Text      string
}

// Logs are the last lines of a service's replicas, merged in time order.
type Logs struct {
	Service    string
	Containers []string
	Lines      []LogLine
	Matched    int // lines read that matched --grep (every line read, without it)
	Dropped    int // of the last Lines lines, the older ones cut to keep within MaxBytes
}

// Logs returns the last lines logged by every replica of a service: the daemon tails each
// container, a TTY stream is read raw and any other demultiplexed (stdout and stderr
// frames), terminal escapes are stripped, and the result is capped.
func (p *Project) Logs(ctx context.Context, service string, o LogOptions) (*Logs, error) {
	if o.Lines <= 0 {
		o.Lines = DefaultLogLines
	}
	o.Lines = min(o.Lines, MaxLogLines)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultLogBytes
	}
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return nil, err
	}
	out := &Logs{Service: service}
	results := make([][]LogLine, len(svc.Containers))
	matched := make([]int, len(svc.Containers))
	errs := make([]error, len(svc.Containers))
	var wg sync.WaitGroup
	for i, c := range svc.Containers {
		out.Containers = append(out.Containers, c.Name)
		wg.Go(func() {
			results[i], matched[i], errs[i] = p.containerLogs(ctx, c, o)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var all []LogLine
	for i := range results {
		all = append(all, results[i]...)
		out.Matched += matched[i]
	}
	slices.SortStableFunc(all, func(a, b LogLine) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Number, b.Number))
	})
	if len(all) > o.Lines {
		all = all[len(all)-o.Lines:]
	}
	size := 0
	first := len(all)
	for first > 0 && size+len(all[first-1].Text)+1 <= o.MaxBytes {
		first--
		size += len(all[first].Text) + 1
	}
	out.Lines = all[first:]
	out.Dropped = first
	return out, nil
}

// containerLogs reads one container's tail and keeps the last o.Lines lines that match.
func (p *Project) containerLogs(ctx context.Context, c Container, o LogOptions) ([]LogLine, int, error) {
	res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		if isNotFound(err) {
			return nil, 0, nil
		}
		return nil, 0, p.engineError("inspect "+c.Name, err)
	}
	tty := res.Container.Config != nil && res.Container.Config.Tty
	tail := o.Lines
	if o.Grep != "" {
		tail = GrepWindow
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: strconv.Itoa(tail)}
	if o.Since > 0 {
		opts.Since = o.Since.String()
	}
	rc, err := p.eng.ContainerLogs(ctx, c.ID, opts)
	if err != nil {
		if isNotFound(err) {
			return nil, 0, nil
		}
		return nil, 0, p.engineError("read the logs of "+c.Name, err)
	}
	defer rc.Close()
	keep := &lineKeeper{container: c.Name, number: c.Number, max: o.Lines, grep: strings.ToLower(o.Grep)}
	if err := readLines(rc, tty, func(line []byte, stderr bool) { keep.add(line, stderr) }); err != nil {
		return nil, 0, p.engineError("read the logs of "+c.Name, err)
	}
	return keep.last(), keep.matched, nil
}

// readLines reads a log stream to its end and hands each line to emit, which must not keep
// it: a TTY container's stream is read raw, any other demultiplexed into stdout and stderr.
// Lines are cut at maxLineBytes, so memory stays bounded whatever the container writes.
func readLines(r io.Reader, tty bool, emit func(line []byte, stderr bool)) error {
	stdout := &lineWriter{emit: func(b []byte) { emit(b, false) }}
	stderr := &lineWriter{emit: func(b []byte) { emit(b, true) }}
	var err error
	if tty {
		_, err = io.Copy(stdout, r)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, r)
	}
	stdout.flush()
	stderr.flush()
	return err
}

// lineKeeper keeps the last max lines that contain grep.
type lineKeeper struct {
	container string
	number    int
	max       int
	grep      string
	mu        sync.Mutex
	matched   int
	lines     []LogLine
}

// add keeps the line if it matches, and returns the daemon's timestamp of it.
func (k *lineKeeper) add(raw []byte, stderr bool) time.Time {
	ts, text := splitTimestamp(raw)
	text = CleanLine(text)
	if k.grep != "" && !strings.Contains(strings.ToLower(text), k.grep) {
		return ts
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.matched++
	if len(k.lines) == 2*k.max {
		// Drop the older half at once: memory stays bounded, and each line is copied
		// once on average.
		k.lines = append(k.lines[:0], k.lines[k.max:]...)
	}
	k.lines = append(k.lines, LogLine{Container: k.container, Number: k.number, Time: ts, Stderr: stderr, Text: text})
	return ts
}

// last returns the last max lines kept.
func (k *lineKeeper) last() []LogLine {
	if len(k.lines) > k.max {
		return k.lines[len(k.lines)-k.max:]
	}
	return k.lines
}

// splitTimestamp separates the daemon's RFC 3339 timestamp from the line.
func splitTimestamp(b []byte) (time.Time, string) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return time.Time{}, string(b)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:i]))
	if err != nil {
		return time.Time{}, string(b)
	}
	return t, string(b[i+1:])
}

// lineWriter splits a stream into lines. A line longer than the limit is cut, and what
// follows up to its end is dropped, so memory stays bounded whatever the container writes.
type lineWriter struct {
	emit func([]byte)
	buf  []byte
	over bool
}

const maxLineBytes = 8 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLineBytes - len(w.buf); len(chunk) > room {
			chunk, w.over = chunk[:room], true
		}
		w.buf = append(w.buf, chunk...)
		if i < 0 {
			break
		}
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 || w.over {
		w.emit(w.buf)
	}
	w.buf, w.over = w.buf[:0], false
}

// CleanLine makes one line of terminal output fit to post (ops.CleanLine), cut to 400
// characters.
func CleanLine(s string) string { return ops.CleanLine(s, maxLineRunes) }
