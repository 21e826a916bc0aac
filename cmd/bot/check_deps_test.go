package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/certs/certstest"
	"github.com/tootops/tootops/ops/release/releasetest"
)

// checkOut runs `bot check` on config and returns its output.
func checkOut(t *testing.T, config string) string {
	t.Helper()
	_, out, errOut := invoke(t, "", "check", "--config", writeConfig(t, config))
	if errOut != "" && !strings.Contains(errOut, "checks failed") {
		t.Logf("stderr: %s", errOut)
	}
	return out
}

// wantLines fails unless out holds each of want.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// notADir is a directory path under a regular file: it cannot be created or written,
// even by root.
func notADir(t *testing.T) (file, dir string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, filepath.Join(file, "sub")
}

func TestCheckMaintenance(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "ON")
	conf := minimalConfig + fmt.Sprintf("[maintenance]\nfile = %q\n", flag)
	wantLines(t, checkOut(t, conf), "✓ maintenance "+flag+": "+dir+" writable; maintenance is off (ON absent)\n")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the check left %v behind", entries)
	}

	if err := os.WriteFile(flag, []byte("admin's note"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantLines(t, checkOut(t, conf), "✓ maintenance "+flag+": "+dir+" writable; maintenance is ON (ON exists)\n")
	if b, _ := os.ReadFile(flag); string(b) != "admin's note" {
		t.Errorf("the flag file was touched: %q", b)
	}

	file, bad := notADir(t)
	out := checkOut(t, minimalConfig+fmt.Sprintf("[maintenance]\nfile = %q\n", filepath.Join(bad, "ON")))
	wantLines(t, out, "✗ maintenance "+bad+"/ON: "+bad+" does not exist ("+file+" is a file)\n    hint: the bot turns maintenance on by creating [maintenance] file: its directory must exist and be writable")
	out = checkOut(t, minimalConfig+fmt.Sprintf("[maintenance]\nfile = %q\n", filepath.Join(file, "ON")))
	wantLines(t, out, "✗ maintenance "+file+"/ON: "+file+" is a file, not a directory\n    hint: ")
}

func TestCheckHTTPListen(t *testing.T) {
	free := freeAddr(t)
	conf := func(addr string) string { return minimalConfig + fmt.Sprintf("[http]\nlisten = %q\n", addr) }
	wantLines(t, checkOut(t, conf(free)), "✓ http "+free+": free: /healthz and /metrics can listen there\n")

	// Taken by a bot: its /healthz answers.
	running := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, `{"status":"ok"}`)
	}))
	defer running.Close()
	addr := running.Listener.Addr().String()
	wantLines(t, checkOut(t, conf(addr)), "✓ http "+addr+": in use (by a running bot?): GET /healthz answered 200 OK\n")

	// Taken by something else, which hangs up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr = ln.Addr().String()
	wantLines(t, checkOut(t, conf(addr)), "✗ http "+addr+": in use, and GET /healthz there gets no answer\n    hint: another program holds the port: stop it, or set [http] listen to a free address\n")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestCheckCerts(t *testing.T) {
	now := time.Now()
	ca := certstest.NewCA(t, "Tootops Test", "R1", now)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port := func(s *certstest.Server) string { _, p, _ := net.SplitHostPort(s.Addr); return p }
	conf := func(hosts ...string) string {
		return minimalConfig + fmt.Sprintf("[certs]\nhosts = [\"%s\"]\nca_file = %q\n", strings.Join(hosts, `", "`), caFile)
	}

	good := certstest.Serve(t, ca.Leaf(t, []string{"localhost"}, now.AddDate(0, 0, -30), now.Add(60*24*time.Hour+time.Hour)))
	later := certstest.Serve(t, ca.Leaf(t, []string{"localhost"}, now.AddDate(0, 0, -30), now.Add(80*24*time.Hour+time.Hour)))
	h1, h2 := "localhost:"+port(good), "localhost:"+port(later)
	wantLines(t, checkOut(t, conf(h2, h1)),
		fmt.Sprintf("✓ certs: 2 hosts, soonest expiry %s in 60 days (%s, Tootops Test R1)\n", h1, now.Add(60*24*time.Hour+time.Hour).UTC().Format(time.DateOnly)))

	self := certstest.Serve(t, certstest.SelfSigned(t, []string{"localhost"}, now.AddDate(0, 0, -1), now.AddDate(1, 0, 0)))
	soon := certstest.Serve(t, ca.Leaf(t, []string{"localhost"}, now.AddDate(0, 0, -80), now.Add(5*24*time.Hour+time.Hour)))
	_, closed, _ := net.SplitHostPort(certstest.ClosedAddr(t))
	hs, hsoon, hclosed := "localhost:"+port(self), "localhost:"+port(soon), "localhost:"+closed
	wantLines(t, checkOut(t, conf(h1, hs, hsoon, hclosed)),
		"✗ certs: 3 of 4 hosts: "+hs+": self-signed or unknown authority; "+hsoon+": expires in 5 days; "+hclosed+": cannot connect: connection refused\n"+
			"    hint: the server must send its whole chain; for a private CA, set [certs] ca_file\n")
}

// composeConf is a config with [compose], on a Docker host that is not there (its line
// fails, and is not what these tests look at), and [upgrade] on the GitHub imitation.
func composeConf(releasesURL, compose, upgrade string) string {
	return minimalConfig + fmt.Sprintf(`
[compose]
project = "mastodon"
docker_host = "tcp://127.0.0.1:1"
%s
[upgrade]
releases_url = %q
%s
`, compose, releasesURL, upgrade)
}

func TestCheckGitHubReleases(t *testing.T) {
	gh := releasetest.New(t,
		releasetest.Release{Tag: "v4.5.0"},
		releasetest.Release{Tag: "v4.5.1"},
		releasetest.Release{Tag: "v4.6.0-rc.1", Prerelease: true},
	)
	t.Setenv("TOOTOPS_GITHUB_TOKEN", releasetest.Token)
	out := checkOut(t, composeConf(gh.URL, "", ""))
	wantLines(t, out, "✓ github releases: latest v4.5.1 (3 releases), rate limit 4999/5000 left, token from env TOOTOPS_GITHUB_TOKEN\n")
	if strings.Contains(out, releasetest.Token) {
		t.Errorf("the token was printed:\n%s", out)
	}

	const wrong = "ghp_wrongTOKENwrongTOKENwrongTOKEN0000"
	t.Setenv("TOOTOPS_GITHUB_TOKEN", "")
	out = checkOut(t, composeConf(gh.URL, "", fmt.Sprintf("github_token = %q", wrong)))
	wantLines(t, out, "✗ github releases: GitHub answered 401 to "+gh.URL+"?per_page=100: Bad credentials\n"+
		"    hint: the GitHub token is wrong, expired or revoked: make a new one, or remove it (60 requests an hour without); the token comes from inline\n")
	if strings.Contains(out, wrong) {
		t.Errorf("the token was printed:\n%s", out)
	}

	// Without a token, at the end of the 60 requests an hour: GitHub's 403.
	gh.SetRemaining(0)
	gh.SetReset(time.Now().Add(42*time.Minute + 10*time.Second))
	out = checkOut(t, composeConf(gh.URL, "", ""))
	wantLines(t, out, "✗ github releases: GitHub API rate limit exceeded; it resets at ", ", in 42 minutes\n"+
		"    hint: wait for the reset; set [upgrade] github_token_file to a token (it needs no scope) for 5,000 requests an hour\n")

	// A 403 that is not the rate limit: a fine-grained token without access.
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest","status":"403"}`)
	}))
	defer refused.Close()
	out = checkOut(t, composeConf(refused.URL+"/repos/mastodon/mastodon/releases", "", fmt.Sprintf("github_token = %q", wrong)))
	wantLines(t, out, "✗ github releases: GitHub answered 403 to "+refused.URL+"/repos/mastodon/mastodon/releases?per_page=100: Resource not accessible by personal access token\n"+
		"    hint: GitHub refused the token: a fine-grained token must be allowed to read public repositories; the token comes from inline\n")
	if strings.Contains(out, wrong) {
		t.Errorf("the token was printed:\n%s", out)
	}

	closed := certstest.ClosedAddr(t)
	out = checkOut(t, composeConf("http://"+closed+"/repos/mastodon/mastodon/releases", "", ""))
	wantLines(t, out, "✗ github releases: cannot reach GitHub: connection refused by "+closed+"\n    hint: nothing listens there")
}

func TestCheckComposeDir(t *testing.T) {
	gh := releasetest.New(t, releasetest.Release{Tag: "v4.5.1"})
	dir, assets := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := func(dir, assets string) string {
		return composeConf(gh.URL, fmt.Sprintf("directory = %q", dir), fmt.Sprintf("assets_dir = %q", assets))
	}
	wantLines(t, checkOut(t, conf(dir, assets)), "✓ compose dir "+dir+": docker-compose.yml readable, directory writable; assets_dir "+assets+" writable\n")
	for _, d := range []string{dir, assets} {
		if entries, _ := os.ReadDir(d); len(entries) > 1 || len(entries) == 1 && entries[0].Name() != "docker-compose.yml" {
			t.Errorf("the check left files in %s: %v", d, entries)
		}
	}

	file, bad := notADir(t)
	wantLines(t, checkOut(t, conf(bad, assets)), "✗ compose dir "+bad+": "+bad+" does not exist ("+file+" is a file)\n"+
		"    hint: the bot must see the project directory at the path the Docker host uses ([compose] directory), mounted read-write: the upgrade rewrites the compose file there\n")
	wantLines(t, checkOut(t, conf(dir, bad)), "✗ compose dir "+dir+": assets_dir: "+bad+" does not exist ("+file+" is a file)\n"+
		"    hint: the upgrade copies the new image's public/ into [upgrade] assets_dir for nginx")

	empty := t.TempDir()
	wantLines(t, checkOut(t, conf(empty, assets)), "✗ compose dir "+empty+": no compose file in "+empty+" (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)\n")

	unreadable := t.TempDir()
	if err := os.Mkdir(filepath.Join(unreadable, "docker-compose.yml"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantLines(t, checkOut(t, conf(unreadable, assets)), "✗ compose dir "+unreadable+": cannot read "+unreadable+"/docker-compose.yml: is a directory\n")
}
