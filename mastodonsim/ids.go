package mastodonsim

import (
	"strconv"
	"time"
)

// snowflake hands out ids shaped like Mastodon's Mastodon::Snowflake: the
// creation time in milliseconds shifted left by 16 bits plus a sequence, so
// they are 18-digit decimal strings that grow with time. Like Mastodon's,
// they are only guaranteed to increase; the imitation also never repeats one
// when the clock stands still or goes back. Callers hold Server.mu.
type snowflake struct {
	last int64
}

func (s *snowflake) next(t time.Time) string {
	id := t.UnixMilli() << 16
	if id <= s.last {
		id = s.last + 1
	}
	s.last = id
	return strconv.FormatInt(id, 10)
}

// timestamp formats t the way Rails' as_json does: UTC with milliseconds,
// e.g. 2019-11-23T07:49:02.064Z.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// timestampOrNil is timestamp for nullable fields.
func timestampOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timestamp(t)
	return &s
}

// compareIDs orders Mastodon ids: shorter is older, equal lengths compare
// lexically (the rule of mastodon.ID.Compare and of the API guidelines).
func compareIDs(a, b string) int {
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
