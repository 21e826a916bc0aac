package schedule

import (
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// cronLogger lets cron log through our zerolog logger instead of cron.DefaultLogger,
// which prints to stdout behind our back. Cron's Info messages ("wake", "run", "skip")
// are routine and frequent, so they go to debug; its errors (a recovered panic) stay
// errors.
type cronLogger struct{ log zerolog.Logger }

var _ cron.Logger = cronLogger{}

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug().Fields(keysAndValues).Msg(msg)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error().Err(err).Fields(keysAndValues).Msg(msg)
}
