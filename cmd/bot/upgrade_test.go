package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/release/releasetest"
)

// TestConsoleUpgrade upgrades the lab from the console as an admin would: one command,
// one confirmation, progress in one rewritten line, the report; then version and status
// agree on the new version, and the toots went to the public channel (the terminal).
func TestConsoleUpgrade(t *testing.T) {
	cli := lab.Docker(t)
	sc := lab.UpgradeLab(t, cli, lab.UpgradeLabOptions{})
	rel := releasetest.New(t, lab.Releases()...)
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`
[admins]
accounts = ["admin@social.example.coop"]
[announce]
visibility = "unlisted"
[compose]
project = %q
directory = %q
[upgrade]
releases_url = %q
web_url = "http://127.0.0.1:%d"
streaming_url = "http://127.0.0.1:%d"
assets_dir = %q
health_timeout = "30s"
[maintenance]
file = %q
[log]
level = "warn"
format = "json"
`, sc.Name, sc.Dir, rel.URL, sc.Ports["web"], sc.Ports["streaming"], filepath.Join(dir, "assets"), filepath.Join(dir, "ON")))
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	in := "version\nupgrade check\nupgrade v4.5.1\nyes\nupgrade status\nversion\n"
	if err := dispatch(context.Background(), []string{"console", "--config", path}, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatalf("console: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"Mastodon v4.5.0: image v4.5.0",
		"running v4.5.0; newest v4.5.1",
		"upgrade v4.5.0 → v4.5.1\n",
		"downtime: yes",
		`Reply "yes" (or "yes `,
		"] We are upgrading this server to Mastodon v4.5.1 now.",
		"upgrade v4.5.0 → v4.5.1: succeeded",
		"✓ post-deployment migrations v4.5.1",
		"] Done: this server now runs Mastodon v4.5.1.",
		"Mastodon v4.5.1: image v4.5.1",
		"they agree",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if !regexp.MustCompile(`\[unlisted post (p\d+)\] We are upgrading[^\n]*\n(?s:.*)\[unlisted post p\d+, replying to (p\d+)\] Done`).MatchString(got) {
		t.Errorf("the completion toot does not reply to the announcement:\n%s", got)
	}
	if strings.Count(got, "BLOCKED") > 0 {
		t.Errorf("blocked:\n%s", got)
	}
}
