package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tootops/tootops/config"
)

// TestHostAndStatus: the defaults, a file's values, and a file's disks not sharing the
// defaults' backing array (BurntSushi/toml decodes into a slice in place when it has the
// room).
func TestHostAndStatus(t *testing.T) {
	c, err := noEnv.Parse(strings.NewReader(""), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Host.Disks, []string{"/"}) || c.Host.DiskWarnPercent != 85 || c.Status.Schedule != "" || c.Status.Visibility != "direct" {
		t.Errorf("defaults: %+v %+v", c.Host, c.Status)
	}
	c, err = noEnv.Parse(strings.NewReader("[host]\ndisks = [\"/opt\", \"/var/lib/docker\"]\ndisk_warn_percent = 90\n[status]\nschedule = \"0 8 * * *\"\nvisibility = \"unlisted\"\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Host.Disks, []string{"/opt", "/var/lib/docker"}) || c.Host.DiskWarnPercent != 90 || c.Status.Schedule != "0 8 * * *" || c.Status.Visibility != "unlisted" {
		t.Errorf("set: %+v %+v", c.Host, c.Status)
	}
	c, err = noEnv.Parse(strings.NewReader("[host]\ndisks = [\"/srv\"]\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := config.Default().Host.Disks; !slices.Equal(d, []string{"/"}) {
		t.Errorf("a file changed the defaults: %q", d)
	}
	c, err = noEnv.Parse(strings.NewReader("[host]\ndisks = []\n"), "")
	if err != nil || len(c.Host.Disks) != 0 {
		t.Errorf("no disks: %q, %v", c.Host.Disks, err)
	}
	if len(config.Default().Host.Units) != 0 {
		t.Errorf("default units: %q, want none", config.Default().Host.Units)
	}
	c, err = noEnv.Parse(strings.NewReader("[host]\nunits = [\"certbot.service\", \"certbot.timer\", \"getty@tty1.service\"]\n"), "")
	if err != nil || !slices.Equal(c.Host.Units, []string{"certbot.service", "certbot.timer", "getty@tty1.service"}) {
		t.Errorf("units: %q, %v", c.Host.Units, err)
	}
}
