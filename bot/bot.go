package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/ops"
)

// defaultTimeout bounds a command that declares none.
const defaultTimeout = time.Minute

// Bot is the pipeline every message goes through, whatever its transport.
type Bot struct {
	log      zerolog.Logger
	registry *commands.Registry
	admins   *Allowlist
}

// New returns a bot answering with the commands of registry to the admins of allow.
func New(log zerolog.Logger, registry *commands.Registry, admins *Allowlist) *Bot {
	return &Bot{log: log.With().Str("component", "bot").Logger(), registry: registry, admins: admins}
}

// Handle authorizes, parses and runs one message, and answers it through tr. It returns
// when the command has finished and its reply was sent. Only a failure to reply is an
// error; what went wrong with the command itself is the reply.
func (b *Bot) Handle(ctx context.Context, tr Transport, msg Message) error {
	log := b.log.With().Str("via", tr.Name()).Str("msg", msg.ID).Str("from", msg.Sender.Acct).Logger()
	if !b.admins.Allows(msg.Sender.Acct) {
		// No backscatter: a stranger learns nothing, not even that a bot listens.
		log.Warn().Msg("message from a non-admin ignored")
		return nil
	}
	line := CommandLine(msg.Text)
	inv, err := b.registry.Parse(line)
	if err != nil {
		log.Info().Str("line", line).Err(err).Msg("command not understood")
		return b.reply(ctx, tr, msg, err.Error())
	}
	sender := commands.Sender{
		Acct:        b.admins.Normalize(msg.Sender.Acct),
		AccountID:   msg.Sender.ID,
		DisplayName: msg.Sender.DisplayName,
		Admin:       true,
		Via:         tr.Name(),
	}
	started := time.Now()
	text, err := b.run(ctx, inv, sender)
	ev := log.Info()
	if err != nil {
		ev = log.Warn().Err(err)
		text = userText(inv.Command.Name, err)
	}
	ev.Str("command", inv.Command.Name).Dur("took", time.Since(started)).Msg("command done")
	return b.reply(ctx, tr, msg, text)
}

// run executes the command with its timeout, turning a panic into an error so one bad
// command never takes the bot down.
func (b *Bot) run(ctx context.Context, inv *commands.Invocation, sender commands.Sender) (text string, err error) {
	timeout := inv.Command.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error().Str("command", inv.Command.Name).Str("panic", fmt.Sprint(r)).Bytes("stack", debug.Stack()).Msg("command panicked")
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return inv.Command.Run(ctx, &commands.Request{Inv: inv, Sender: sender, Progress: ops.NoProgress{}})
}

func (b *Bot) reply(ctx context.Context, tr Transport, msg Message, text string) error {
	if _, err := tr.Reply(ctx, msg, text); err != nil {
		return fmt.Errorf("reply to %s: %w", msg.ID, err)
	}
	return nil
}

// safeError is an error whose text is written for the admin: it says what went wrong
// and what to do, and carries no secret or internal detail.
type safeError interface{ Safe() string }

// userText turns a command's error into a reply. Only errors that say they are safe to
// show are shown; anything else may carry internals, so the admin is sent to the log.
func userText(command string, err error) string {
	var safe safeError
	switch {
	case errors.As(err, &safe):
		return command + ": " + safe.Safe()
	case errors.Is(err, context.DeadlineExceeded):
		return command + ": timed out"
	case errors.Is(err, context.Canceled):
		return command + ": cancelled"
	default:
		return command + ": failed with an internal error; the bot's log has the details"
	}
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
