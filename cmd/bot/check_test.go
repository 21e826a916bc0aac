package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
	"github.com/tootops/tootops/ops/release/releasetest"
)

func TestCheckOnline(t *testing.T) {
	srv := mastodonsim.New(t)
	botAcc := srv.AddLocalAccount("tootops", mastodonsim.Bot())
	token := botAcc.Token("read", "write", "follow")
	gh := releasetest.New(t, releasetest.Release{Tag: "v4.5.1"})
	conf := func(tok, dockerHost string) string {
		return writeConfig(t, fmt.Sprintf(`
[mastodon]
server = %q
access_token = %q
[admins]
accounts = ["alice@social.example.coop"]
[compose]
project = "mastodon"
docker_host = %q
[upgrade]
releases_url = %q
`, srv.URL, tok, dockerHost, gh.URL))
	}
	code, out, errOut := invoke(t, "", "check", "--config", conf(token, "unix:///var/run/docker.sock"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"✓ mastodon " + srv.URL + ": signed in as @tootops@" + srv.Domain + " (account " + botAcc.ID + "), Mastodon ",
		", streaming: websocket, DMs from accounts not followed: filter\n",
		"✓ docker unix:///var/run/docker.sock: reachable, API 1.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = invoke(t, "", "check", "--config", conf("wrong-token", "tcp://127.0.0.1:1"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"✗ mastodon " + srv.URL + ": could not sign in on " + srv.URL + ": the access token was refused (401: The access token is invalid)\n    hint: the token was revoked or is wrong",
		"✗ docker tcp://127.0.0.1:1: cannot reach the Docker daemon at tcp://127.0.0.1:1\n    hint: is dockerd running",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) || strings.Contains(out, "wrong-token") {
		t.Errorf("a token was printed:\n%s", out)
	}
}

func TestConfigPrecedenceFlagOverEnv(t *testing.T) {
	good := writeConfig(t, minimalConfig)
	t.Setenv("TOOTOPS_CONFIG", "/nonexistent/config.toml")
	if code, _, errOut := invoke(t, "", "check", "--offline", "--config", good); code != 0 {
		t.Errorf("--config should win over TOOTOPS_CONFIG: exit %d %s", code, errOut)
	}
	if code, _, errOut := invoke(t, "", "check", "--offline"); code != 2 || !strings.Contains(errOut, "/nonexistent/config.toml") {
		t.Errorf("without --config, TOOTOPS_CONFIG is used: exit %d %s", code, errOut)
	}
}

// TestRunAnswersADM runs the daemon as `bot run` does, against the imitation.
func TestRunAnswersADM(t *testing.T) {
	srv := mastodonsim.New(t, mastodonsim.WithHeartbeat(100*time.Millisecond))
	botAcc := srv.AddLocalAccount("tootops", mastodonsim.Bot())
	alice := srv.AddLocalAccount("alice")
	token := botAcc.Token("read", "write", "follow")
	path := writeConfig(t, fmt.Sprintf(`
[mastodon]
server = %q
[admins]
accounts = [%q]
[log]
level = "debug"
format = "json"
`, srv.URL, alice.FullAcct()))
	t.Setenv("TOOTOPS_MASTODON_ACCESS_TOKEN", token)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- dispatch(ctx, []string{"run", "--config", path}, strings.NewReader(""), &out, &errOut) }()

	// Wait until the bot follows alice: it has signed in and prepared its intake.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := srv.WaitFor(wctx, func() bool { return srv.Following(botAcc, alice) }); err != nil {
		t.Fatalf("the bot never followed its admin: %v\n%s", err, errOut.String())
	}
	dm := srv.Post(alice, mastodonsim.PostOpts{Text: "@tootops ping", Visibility: "direct"})
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	reply, err := srv.WaitForStatus(rctx, func(s mastodonsim.Status) bool { return s.InReplyToID == dm.ID })
	if err != nil {
		t.Fatalf("no reply: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(reply.PlainText(), "pong — tootops") {
		t.Fatalf("reply %q\n%s", reply.PlainText(), errOut.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if strings.Contains(errOut.String(), token) || strings.Contains(reply.Text, token) {
		t.Errorf("the token leaked into the log or a reply")
	}
	if !strings.Contains(errOut.String(), `"message":"signed in"`) {
		t.Errorf("no sign-in line in the log:\n%s", errOut.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCheckRequireRole(t *testing.T) {
	srv := mastodonsim.New(t)
	botAcc := srv.AddLocalAccount("tootops", mastodonsim.Bot(), mastodonsim.WithRole(mastodonsim.RoleModerator))
	conf := func(token string) string {
		return writeConfig(t, fmt.Sprintf("[mastodon]\nserver = %q\naccess_token = %q\n[admins]\naccounts = [\"alice@x.example\"]\nrequire_role = true\n", srv.URL, token))
	}
	code, out, _ := invoke(t, "", "check", "--config", conf(botAcc.Token("read", "write", "follow", "admin:read:accounts")))
	if code != 0 || !strings.Contains(out, ", roles readable (require_role)\n") {
		t.Errorf("with the scope: exit %d\n%s", code, out)
	}
	code, out, _ = invoke(t, "", "check", "--config", conf(botAcc.Token("read", "write", "follow")))
	if code != 1 || !strings.Contains(out, "✗ mastodon "+srv.URL+": the bot may not read account roles\n    hint: give its token the admin:read:accounts scope") {
		t.Errorf("without the scope: exit %d\n%s", code, out)
	}
}
