package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxConsoleLine bounds one console line; a Mastodon DM is at most a few thousand
// characters, so anything longer is a mistake (a file piped by accident).
const maxConsoleLine = 64 << 10

// Console is the transport of `bot console`: replies go to a writer, and on a terminal a
// reply being edited (progress) is rewritten in place.
type Console struct {
	// Every is the least time between two progress edits (default 1s).
	Every time.Duration

	mu   sync.Mutex
	out  io.Writer
	tty  bool
	n    int
	last Ref // the reply printed last; on a TTY it can be rewritten in place
	one  bool
}

var _ Transport = (*Console)(nil)

// NewConsole prints to out; tty says whether out is a terminal.
func NewConsole(out io.Writer, tty bool) *Console {
	return &Console{out: out, tty: tty, Every: time.Second}
}

// ProgressEvery tells the bot how often a progress reply may be edited.
func (c *Console) ProgressEvery() time.Duration { return c.Every }

// Name implements Transport.
func (c *Console) Name() string { return "console" }

// Reply implements Transport.
func (c *Console) Reply(_ context.Context, _ Message, text string) (Ref, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	ref := Ref("r" + strconv.Itoa(c.n))
	return ref, c.print(ref, text)
}

// Edit implements Transport: on a terminal the last reply is rewritten when it is a single
// line; otherwise the new text is printed below, so piped output keeps every step.
func (c *Console) Edit(_ context.Context, ref Ref, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty && ref == c.last && c.one && !strings.Contains(text, "\n") {
		_, err := fmt.Fprintf(c.out, "\r\033[K%s", text)
		return err
	}
	return c.print(ref, text)
}

// Post implements Transport.
func (c *Console) Post(_ context.Context, text string, vis Visibility, inReplyTo Ref) (Ref, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	ref := Ref("p" + strconv.Itoa(c.n))
	head := fmt.Sprintf("[%s post %s]", vis, ref)
	if inReplyTo != "" {
		head = fmt.Sprintf("[%s post %s, replying to %s]", vis, ref, inReplyTo)
	}
	return ref, c.print(ref, head+" "+text)
}

func (c *Console) print(ref Ref, text string) error {
	if c.tty && c.one {
		// End the line we may still rewrite.
		if _, err := io.WriteString(c.out, "\n"); err != nil {
			return err
		}
	}
	c.last, c.one = ref, !strings.Contains(text, "\n")
	if c.tty && c.one {
		_, err := io.WriteString(c.out, text)
		return err
	}
	_, err := io.WriteString(c.out, text+"\n")
	return err
}

// flush ends a line left open for rewriting, before a prompt.
func (c *Console) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty && c.one {
		_, _ = io.WriteString(c.out, "\n")
		c.one = false
	}
}

// prompt is shown before each line on a terminal.
const prompt = "tootops> "

// RunConsole reads commands from in, one per line, and runs each through the bot as if
// the admin as had sent it. Piped, it finishes each command, its job included, before
// reading the next line; on a terminal jobs run on while the admin types (so "jobs" and
// "cancel N" work). It returns when in has ended and the last job is done, or when ctx
// is cancelled.
func RunConsole(ctx context.Context, b *Bot, c *Console, in io.Reader, as Account) error {
	b.NotifyInterrupted(ctx, c)
	var running []<-chan struct{}
	defer func() {
		for _, done := range running {
			select {
			case <-done:
			case <-ctx.Done():
				return
			}
		}
	}()
	r := bufio.NewReaderSize(in, 4096)
	for n := 1; ; n++ {
		if c.tty {
			c.flush()
			_, _ = io.WriteString(c.out, prompt)
		}
		line, err := readLine(r, maxConsoleLine)
		if errors.Is(err, io.EOF) && line == "" {
			if c.tty {
				_, _ = io.WriteString(c.out, "\n")
			}
			return nil
		}
		if errors.Is(err, errLineTooLong) {
			if _, werr := c.Reply(ctx, Message{}, fmt.Sprintf("line %d is too long: at most %d bytes are read", n, maxConsoleLine)); werr != nil {
				return werr
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("console: read: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		msg := Message{ID: "console-" + strconv.Itoa(n), Sender: as, Text: line, At: time.Now()}
		done, err := b.Handle(ctx, c, msg)
		if err != nil {
			return err
		}
		if c.tty {
			running = append(running, done)
			continue
		}
		select {
		case <-done:
		case <-ctx.Done():
			return nil
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its newline. A line longer than max is read to its end
// and dropped with errLineTooLong, so one huge line costs no more than max bytes.
func readLine(r *bufio.Reader, max int) (string, error) {
	var b strings.Builder
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if b.Len()+len(chunk) > max+1 {
				tooLong = true
				b.Reset()
			} else {
				b.Write(chunk)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong && (err == nil || errors.Is(err, io.EOF)) {
			return "", errLineTooLong
		}
		return strings.TrimRight(b.String(), "\r\n"), err
	}
}
