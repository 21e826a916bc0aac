package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeMastodon answers verify_credentials for one token, as Mastodon does.
func fakeMastodon(t *testing.T, token string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/accounts/verify_credentials" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"The access token is invalid"}`)
			return
		}
		fmt.Fprint(w, `{"id":"109876","username":"tootops","acct":"tootops","display_name":"tootops","bot":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckOnline(t *testing.T) {
	const token = "tok-3e1b-secret"
	srv := fakeMastodon(t, token)
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
`, srv.URL, tok, dockerHost))
	}
	code, out, errOut := invoke(t, "", "check", "--config", conf(token, "unix:///var/run/docker.sock"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"✓ mastodon " + srv.URL + ": signed in as @tootops (account 109876)\n",
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
		"✗ mastodon " + srv.URL + ": " + srv.URL + " refused the access token (401)\n    hint: the token was revoked or mistyped",
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
