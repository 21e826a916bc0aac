package ops

import (
	"context"
	"errors"
)

// Error is a failure whose Msg and Hint are written for the admin: they say what went
// wrong and what to do, and carry no secret. Err keeps the full chain for the log.
type Error struct {
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Safe is the text to show the admin.
func (e *Error) Safe() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + " — " + e.Hint
}

// SafeText is what an admin may be told about err: the Safe text of an error that has one,
// "timed out" or "cancelled" for context errors, and otherwise a pointer to the log, since
// an arbitrary error may carry internals or a secret.
func SafeText(err error) string {
	var safe interface{ Safe() string }
	switch {
	case err == nil:
		return ""
	case errors.As(err, &safe):
		return safe.Safe()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	default:
		return "internal error (the bot's log has the details)"
	}
}
