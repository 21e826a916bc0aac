package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/host"
)

// HostJournal is what journal needs; *host.Systemd is one.
type HostJournal interface {
	// Journals are the units whose journal may be read ([host] units).
	Journals() []string
	Journal(ctx context.Context, unit string, o host.JournalOptions) (*host.Journal, error)
}

var _ HostJournal = (*host.Systemd)(nil)

// journalBytes bounds the reply's lines, newest kept, as logs does.
const journalBytes = 4000

// journalTimeout is the job's: reading the journal takes a second at most, but a journal
// on a slow disk may take longer to seek.
const journalTimeout = time.Minute

// Journal returns the `journal UNIT [N] [--since DURATION]` command: the host's
// `journalctl -u UNIT`, for the units of [host] units.
func Journal(j HostJournal) Command {
	return Command{
		Name:    "journal",
		Group:   servicesGroup,
		Summary: "show the last lines a systemd unit of the host logged (journalctl -u)",
		Help: fmt.Sprintf("The last N entries (default %d, at most %d) of the unit's journal on the host, oldest first, as journalctl -u UNIT shows them: date, time, program[pid] and the message; "+
			"✗ marks errors (priority err and worse) and ⚠ warnings. A unit given without its type is a .service, as for journalctl. "+
			"Only the units listed in [host] units can be read, since logs can hold anything; `timers` lists the host's timers and the units they start. "+
			"Each line is cut to %d characters, and the reply to about %d, newest lines kept. "+
			"It needs the bot on the host, with systemd, and its user in the systemd-journal group; in a container it says that the host's journal is not visible.",
			host.DefaultLines, host.MaxLines, host.MaxLineRunes, journalBytes),
		Args: []Arg{
			{Name: "UNIT", Help: "a unit of [host] units, such as certbot.service", Example: "certbot.service", Check: func(s string) error { return checkJournalUnit(j, s) }},
			{Name: "N", Help: "how many entries", Kind: Int, Optional: true, Min: 1, Max: host.MaxLines, Example: "50"},
		},
		Flags:   []Flag{{Name: "since", Kind: Duration, Help: "only entries newer than this, e.g. 10m or 2h"}},
		Timeout: journalTimeout,
		Run: func(ctx context.Context, req *Request) (string, error) {
			inv := req.Inv
			unit, err := host.Unit(inv.Str("UNIT"))
			if err != nil {
				return "", err // Check let it through: not reached
			}
			o := host.JournalOptions{Lines: int(inv.Int("N")), Since: inv.Duration("since")}
			jr, err := j.Journal(ctx, unit, o)
			switch {
			case errors.Is(err, host.ErrContainer):
				return "", &ops.Error{Msg: "the bot runs in a container: the host's journal is not visible here", Hint: "read it on the host: journalctl -u " + unit, Err: err}
			case errors.Is(err, host.ErrNoSystemd):
				return "", &ops.Error{Msg: "this machine does not run systemd: there is no journal to read", Err: err}
			case err != nil:
				return "", err
			}
			return journalText(jr, o), nil
		},
	}
}

// checkJournalUnit refuses a unit that is not a unit name, or not in [host] units. It
// reads the config's list only, so parsing stays pure.
func checkJournalUnit(j HostJournal, s string) error {
	unit, err := host.Unit(s)
	if err != nil {
		return err
	}
	allowed := j.Journals()
	switch {
	case len(allowed) == 0:
		return errors.New(`no journal may be read: list units in [host] units, e.g. units = ["certbot.service"]`)
	case !slices.Contains(allowed, unit):
		return fmt.Errorf("not in [host] units (allowed: %s)", strings.Join(allowed, ", "))
	}
	return nil
}

// journalText is a header, then one line per message line, a continuation indented:
//
//	certbot.service — 11 entries:
//	✗ 11-24 03:12:09 certbot[48211]: All renewals failed. The following certificates could not be renewed:
//	  /etc/letsencrypt/live/social.example.coop/fullchain.pem (failure)
func journalText(j *host.Journal, o host.JournalOptions) string {
	what := j.Unit
	if o.Since > 0 {
		what += ", since " + o.Since.String()
	}
	var notes []string
	if j.Unreadable > 0 {
		notes = append(notes, fmt.Sprintf("(%d %s of journalctl's output could not be read)", j.Unreadable, plural(j.Unreadable, "line")))
	}
	if j.Restricted {
		notes = append(notes, "(the bot's user sees only its own journal: add it to the systemd-journal group to read the system's)")
	}
	if len(j.Entries) == 0 {
		return strings.Join(append([]string{what + ": nothing logged"}, notes...), "\n")
	}
	var lines []string
	for _, e := range j.Entries {
		mark := ""
		switch {
		case e.Priority >= 0 && e.Priority <= 3:
			mark = "✗ "
		case e.Priority == 4:
			mark = "⚠ "
		}
		who := e.Ident
		if who == "" {
			who = j.Unit
		}
		if e.PID != "" {
			who += "[" + e.PID + "]"
		}
		for i, l := range strings.Split(e.Message, "\n") {
			if i == 0 {
				lines = append(lines, fmt.Sprintf("%s%s %s: %s", mark, e.Time.Format("01-02 15:04:05"), who, l))
			} else {
				lines = append(lines, "  "+l)
			}
		}
	}
	dropped, size := 0, 0
	for i := len(lines) - 1; i >= 0; i-- {
		if size += len(lines[i]) + 1; size > journalBytes && i < len(lines)-1 {
			dropped = i + 1
			break
		}
	}
	var b strings.Builder
	entries := "entries"
	if len(j.Entries) == 1 {
		entries = "entry"
	}
	fmt.Fprintf(&b, "%s — %d %s:\n", what, len(j.Entries), entries)
	for _, l := range lines[dropped:] {
		b.WriteString(l + "\n")
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "(%d older %s cut to fit a reply; ask for fewer, or narrow with --since)\n", dropped, plural(dropped, "line"))
	}
	for _, n := range notes {
		b.WriteString(n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
