package bot_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/mastodonsim"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/certs/certstest"
)

// TestSignInFailuresSayWhy: a failed sign-in names its cause in an admin's terms, with a
// hint, against real failures: Mastodon's 401, a closed port, a name that does not
// resolve, a certificate nobody trusts. The token appears nowhere.
func TestSignInFailuresSayWhy(t *testing.T) {
	const token = "tok-NEVER-SHOWN-8f3a"
	sim := mastodonsim.New(t)
	sim.AddLocalAccount("tootops", mastodonsim.Bot())
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	closed := certstest.ClosedAddr(t)

	for _, tc := range []struct {
		name, server, msg, hint string
	}{
		{"401", sim.URL, "could not sign in on " + sim.URL + ": the access token was refused (401: The access token is invalid)", "the token was revoked or is wrong"},
		{"closed port", "http://" + closed, "could not sign in on http://" + closed + ": connection refused by " + closed, "nothing listens there"},
		{"unresolvable", "https://mastodon.invalid", "could not sign in on https://mastodon.invalid: cannot resolve mastodon.invalid", "check the host name"},
		{"untrusted certificate", untrusted.URL, "could not sign in on " + untrusted.URL + ": TLS: certificate signed by unknown authority", "private CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := bot.DialMastodon(ctx, tc.server, token, zerolog.Nop())
			var safe *ops.Error
			if !errors.As(err, &safe) {
				t.Fatalf("err = %v, want an *ops.Error", err)
			}
			if safe.Msg != tc.msg {
				t.Errorf("msg = %q\nwant  %q", safe.Msg, tc.msg)
			}
			if !strings.Contains(safe.Hint, tc.hint) {
				t.Errorf("hint = %q, want it to say %q", safe.Hint, tc.hint)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(safe.Safe(), token) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

// TestRefusedTokenStaysRecognisable: the bot stops retrying on a 401, which it finds as a
// *mastodon.APIError under the admin's text.
func TestRefusedTokenStaysRecognisable(t *testing.T) {
	sim := mastodonsim.New(t)
	_, err := bot.DialMastodon(context.Background(), sim.URL, "wrong", zerolog.Nop())
	var api *mastodon.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusUnauthorized {
		t.Errorf("err = %v, want a 401 *mastodon.APIError in its chain", err)
	}
}
