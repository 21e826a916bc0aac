package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// CronParser is the one parser for every schedule in the config. The
// scheduler must build its cron.Cron with cron.WithParser(CronParser) so that
// a spec accepted at load time is read the same way when it fires.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CronSpec is a standard five-field cron spec ("0 3 * * *") or a descriptor
// ("@daily", "@every 6h"), optionally preceded by "CRON_TZ=Area/City ". Empty
// means no schedule.
type CronSpec string

// Schedule parses the spec with CronParser.
func (s CronSpec) Schedule() (sched cron.Schedule, err error) {
	spec := string(s)
	// cron v3.0.1 slices out of range on a time zone prefix without a
	// following space; catch that and any other panic on odd input.
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return nil, errors.New("time zone prefix must be followed by a space and a schedule")
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid spec (%v)", r)
		}
	}()
	return CronParser.Parse(spec)
}

// Check validates the spec and returns a Problem naming key, or nil when
// the spec is valid or empty. Sections that grow schedules call it from
// Validate so that bad specs fail at load, not at first fire.
func (s CronSpec) Check(key string) *Problem {
	if s == "" {
		return nil
	}
	if _, err := s.Schedule(); err != nil {
		return &Problem{Key: key, Msg: fmt.Sprintf("expected %s, got %q: %v", s.accepts(), string(s), err)}
	}
	return nil
}

func (CronSpec) accepts() string {
	return `a cron spec "minute hour day-of-month month day-of-week" such as "0 3 * * *", or "@daily"`
}
