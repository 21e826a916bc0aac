package config_test

import (
	"slices"
	"testing"

	"github.com/tootops/tootops/config"
)

func TestOneOffAndMediaDefaults(t *testing.T) {
	c := mustParse(t, noEnv, "", "[compose]\nproject = \"mastodon\"\n")
	if got := c.Compose.OneOff.Allowed; !slices.Equal(got, config.DefaultOneOffAllowed) {
		t.Errorf("compose.oneoff.allowed = %q, want the default %q", got, config.DefaultOneOffAllowed)
	}
	if c.Media.Days != 7 || c.Media.Schedule != "" {
		t.Errorf("media = %+v, want days 7 and no schedule", c.Media)
	}
	// The default list is a copy: changing one config does not change the next.
	c.Compose.OneOff.Allowed[0] = "changed"
	if d := mustParse(t, noEnv, "", "[compose]\nproject = \"m\"\n"); d.Compose.OneOff.Allowed[0] != "tootctl version" {
		t.Errorf("defaults shared between configs: %q", d.Compose.OneOff.Allowed)
	}
	if d := config.Default(); d.Media.Days != 7 {
		t.Errorf("Default().Media = %+v", d.Media)
	}
}

func TestOneOffAndMediaSet(t *testing.T) {
	c := mustParse(t, noEnv, "", `
[compose]
project = "mastodon"
[compose.oneoff]
allowed = ["tootctl version", "tootctl search deploy --only accounts"]
[media]
days = 30
schedule = "CRON_TZ=Europe/Berlin 0 4 * * *"
`)
	if got := c.Compose.OneOff.Allowed; !slices.Equal(got, []string{"tootctl version", "tootctl search deploy --only accounts"}) {
		t.Errorf("allowed = %q", got)
	}
	if c.Media.Days != 30 || c.Media.Schedule != "CRON_TZ=Europe/Berlin 0 4 * * *" {
		t.Errorf("media = %+v", c.Media)
	}
	// An empty list turns run off, and is valid.
	c = mustParse(t, noEnv, "", "[compose]\nproject = \"m\"\n[compose.oneoff]\nallowed = []\n")
	if len(c.Compose.OneOff.Allowed) != 0 {
		t.Errorf("allowed = %q, want empty", c.Compose.OneOff.Allowed)
	}
}
