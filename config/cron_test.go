package config_test

import (
	"testing"
	"time"

	"github.com/tootops/tootops/config"
)

func TestCronSpec(t *testing.T) {
	good := []string{"0 3 * * *", "30 2 * * 1", "@daily", "@every 6h", "CRON_TZ=UTC 0 4 * * *", "*/15 * * * *"}
	for _, s := range good {
		if p := config.CronSpec(s).Check("backup.schedule"); p != nil {
			t.Errorf("Check(%q) = %v, want nil", s, p)
		}
	}
	if p := config.CronSpec("").Check("backup.schedule"); p != nil {
		t.Errorf("empty spec means no schedule, got %v", p)
	}
	bad := []string{"0 3 * *", "0 0 3 * * *", "61 * * * *", "@sometimes", "TZ=UTC", "CRON_TZ=Nowhere/Atlantis 0 3 * * *", "TZ="}
	for _, s := range bad {
		p := config.CronSpec(s).Check("backup.schedule")
		if p == nil {
			t.Errorf("Check(%q) = nil, want a problem", s)
			continue
		}
		if p.Key != "backup.schedule" {
			t.Errorf("Check(%q).Key = %q", s, p.Key)
		}
	}

	// The scheduler gets the same reading of the spec.
	sched, err := config.CronSpec("CRON_TZ=UTC 0 3 * * *").Schedule()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	if got, want := sched.Next(from), time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got, want)
	}
	if _, err := config.CronParser.Parse("0 3 * * *"); err != nil {
		t.Errorf("CronParser: %v", err)
	}
}
