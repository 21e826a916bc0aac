package bot

import (
	"context"
	"time"
)

// Message is one command-bearing message as it arrived, already reduced to plain text.
type Message struct {
	ID     string    // the transport's id (a status id; a line number on the console)
	Sender Account   // who sent it, as the transport verified it
	Text   string    // plain text; the command is its first non-empty line
	At     time.Time // when it was sent
	// Late marks a message found by catch-up after downtime that is older than
	// [mastodon] stale_after: it may no longer be what the admin wants, so the bot does
	// not act on it without asking again.
	Late bool
}

// Account is a sender as the transport knows them.
type Account struct {
	ID          string // the server's account id, "" where there is none (console)
	Acct        string // full user@domain
	DisplayName string
}

// Ref names a reply the transport posted, so it can be edited in place.
type Ref string

// Visibility of a public post.
type Visibility string

// The visibilities of public posts; replies to admins are always direct.
const (
	Public   Visibility = "public"
	Unlisted Visibility = "unlisted"
	Private  Visibility = "private" // followers only
	Direct   Visibility = "direct"  // the accounts mentioned only
)

// Transport is the chat a bot talks through. Reply answers in the message's thread,
// visible only to its sender; Edit rewrites a reply in place (live progress); Post
// publishes an announcement, or a follow-up to one when inReplyTo is not empty.
// Implementations must be safe for concurrent use.
type Transport interface {
	Name() string
	Reply(ctx context.Context, to Message, text string) (Ref, error)
	Edit(ctx context.Context, ref Ref, text string) error
	Post(ctx context.Context, text string, vis Visibility, inReplyTo Ref) (Ref, error)
}
