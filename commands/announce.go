package commands

import (
	"context"
	"strings"
)

// Publisher posts the bot's public toots.
type Publisher interface {
	// AnnouncePlan says what Announce would post, and where.
	AnnouncePlan(text string, followUp bool) (string, error)
	// Announce posts text publicly (as a reply to the last announcement when followUp),
	// has it boosted, and says what it did.
	Announce(ctx context.Context, text string, followUp bool) (string, error)
}

// Announce returns the `announce` command: the runbook's "write a toot announcing the
// upgrade and boost it on the admin account", from a DM.
func Announce(p Publisher) Command {
	text := func(inv *Invocation) string { return strings.Join(inv.Rest(), " ") }
	return Command{
		Name:    "announce",
		Group:   "community",
		Summary: "post a public announcement from the bot's account",
		Help: "Posts the text as a toot of the bot's account, with the visibility of [announce] visibility, " +
			"and has it boosted by the admin accounts of [announce] boost_tokens_file. With --follow-up it " +
			"replies to the last announcement instead, so the community finds \"done\" under \"starting\".",
		Args:  []Arg{{Name: "TEXT", Help: "the announcement", Rest: true, Example: "Upgrading to v4.5.1 at 20:00 UTC, about 15 minutes of downtime"}},
		Flags: []Flag{{Name: "follow-up", Kind: Bool, Help: "reply to the last announcement"}},
		// Public: an announcement is confirmed like any change, with its exact text shown.
		Changes: true,
		Locks:   func(*Invocation) []string { return []string{"announce"} },
		Plan: func(_ context.Context, inv *Invocation) (string, error) {
			return p.AnnouncePlan(text(inv), inv.Bool("follow-up"))
		},
		Run: func(ctx context.Context, req *Request) (string, error) {
			return p.Announce(ctx, text(req.Inv), req.Inv.Bool("follow-up"))
		},
	}
}
