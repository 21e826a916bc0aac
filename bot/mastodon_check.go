package bot

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot/stream"
	"github.com/tootops/tootops/ops"
)

// CheckMastodon signs in to server with token and describes what the bot will work with:
// its account, the server's version, the streaming mode on offer and the notification
// policy (4.3+ filters DMs from accounts the bot does not follow). The caller bounds ctx.
func CheckMastodon(ctx context.Context, server, token string, requireRole bool) (string, error) {
	m, err := DialMastodon(ctx, server, token, zerolog.Nop())
	if err != nil {
		return "", err
	}
	mode, err := stream.Probe(ctx, stream.Options{Server: m.server, Streaming: m.Streaming, Token: token})
	if err != nil {
		return "", &ops.Error{Msg: "the streaming API refused the token", Hint: "the token needs the read scope", Err: err}
	}
	desc := fmt.Sprintf("signed in as @%s (account %s), Mastodon %s, streaming: %s", m.Me.Acct, m.Me.ID, m.Version, mode)
	if p, err := m.policy(ctx); err == nil && p != "" {
		desc += ", DMs from accounts not followed: " + p
	}
	if requireRole {
		if _, err := m.Permissions(ctx, m.Me.ID); err != nil {
			return "", err
		}
		desc += ", roles readable (require_role)"
	}
	return desc, nil
}
