package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/tootops/tootops/ops"
)

// CheckMastodon signs in to server with token and returns the bot account's acct and id.
// The caller bounds ctx: go-mastodon retries 429s until its context ends.
func CheckMastodon(ctx context.Context, server, token string) (acct, id string, err error) {
	c := mastodon.NewClient(&mastodon.Config{Server: server, AccessToken: token})
	me, err := c.GetAccountCurrentUser(ctx)
	if err != nil {
		var api *mastodon.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusUnauthorized {
			return "", "", &ops.Error{Msg: fmt.Sprintf("%s refused the access token (401)", server), Hint: "the token was revoked or mistyped: create a new one under Preferences → Development", Err: err}
		}
		return "", "", &ops.Error{Msg: fmt.Sprintf("cannot sign in to %s", server), Hint: "is the server reachable from here?", Err: err}
	}
	return me.Acct, string(me.ID), nil
}
