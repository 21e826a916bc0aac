package status_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/status"
)

// scriptedCLI plays redis-cli --no-raw: the first exec (SMEMBERS) answers members, the
// second (commands on stdin) answers replies; it records the commands it was given.
type scriptedCLI struct {
	t        *testing.T
	members  string
	replies  string
	exitCode int
	stderr   string
	cmds     [][]string
	stdin    []string
}

func (s *scriptedCLI) Exec(_ context.Context, service string, o compose.ExecOptions) error {
	if service != "redis" {
		s.t.Errorf("exec in %q, want redis", service)
	}
	s.cmds = append(s.cmds, o.Cmd)
	if o.Stderr != nil {
		_, _ = io.WriteString(o.Stderr, s.stderr)
	}
	if s.exitCode != 0 {
		return &compose.ExitError{Code: s.exitCode}
	}
	if o.Stdin == nil {
		_, _ = io.WriteString(o.Stdout, s.members)
		return nil
	}
	b, _ := io.ReadAll(o.Stdin)
	s.stdin = append(s.stdin, string(b))
	_, _ = io.WriteString(o.Stdout, s.replies)
	return nil
}

var _ status.Execer = (*scriptedCLI)(nil)

var sidekiqNow = time.Unix(1_700_000_090, 500_000_000)

func TestRedisSidekiq(t *testing.T) {
	cli := &scriptedCLI{
		t:       t,
		members: "1) \"default\"\n2) \"push\"\n3) \"odd \\\"name\\\"\"\n",
		replies: strings.Join([]string{
			"(integer) 2", `"{\"class\":\"X\",\"args\":[\"a\\nb\"],\"enqueued_at\":1700000000.5}"`, // 90 s
			"(integer) 1", `"{\"class\":\"Y\",\"enqueued_at\":1700000060500}"`, // Sidekiq 8: milliseconds, 30 s
			"(integer) 0", "(nil)",
			"(integer) 3", "(integer) 1", "(integer) 14",
			`"1234567"`, "(nil)",
		}, "\n") + "\n",
	}
	r := &status.RedisSidekiq{Exec: cli, Now: func() time.Time { return sidekiqNow }}
	st, err := r.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := status.SidekiqStats{
		Queues: []status.Queue{
			{Name: "default", Size: 2, Latency: 90 * time.Second},
			{Name: "push", Size: 1, Latency: 30 * time.Second},
			{Name: `odd "name"`},
		},
		Enqueued: 3, Latency: 90 * time.Second, Retries: 3, Dead: 1, Scheduled: 14, Processed: 1234567,
	}
	if !equalStats(st, want) {
		t.Errorf("Stats() = %+v\nwant %+v", st, want)
	}
	if got := strings.Join(cli.cmds[0], " "); got != "redis-cli --no-raw SMEMBERS queues" {
		t.Errorf("first exec %q", got)
	}
	wantIn := "LLEN \"queue:default\"\nLINDEX \"queue:default\" -1\nLLEN \"queue:push\"\nLINDEX \"queue:push\" -1\n" +
		"LLEN \"queue:odd \\\"name\\\"\"\nLINDEX \"queue:odd \\\"name\\\"\" -1\n" +
		"ZCARD \"retry\"\nZCARD \"dead\"\nZCARD \"schedule\"\nGET \"stat:processed\"\nGET \"stat:failed\"\n"
	if len(cli.stdin) != 1 || cli.stdin[0] != wantIn {
		t.Errorf("commands on stdin:\n%q\nwant\n%q", cli.stdin, wantIn)
	}
}

func TestRedisSidekiqNamespaceAndEmpty(t *testing.T) {
	cli := &scriptedCLI{t: t, members: "(empty array)\n", replies: "(integer) 0\n(integer) 0\n(integer) 0\n(nil)\n(nil)\n"}
	r := &status.RedisSidekiq{Exec: cli, Namespace: "mastodon"}
	st, err := r.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !equalStats(st, status.SidekiqStats{}) {
		t.Errorf("Stats() = %+v", st)
	}
	if got := strings.Join(cli.cmds[0], " "); got != "redis-cli --no-raw SMEMBERS mastodon:queues" {
		t.Errorf("first exec %q", got)
	}
	if want := "ZCARD \"mastodon:retry\"\nZCARD \"mastodon:dead\"\nZCARD \"mastodon:schedule\"\nGET \"mastodon:stat:processed\"\nGET \"mastodon:stat:failed\"\n"; cli.stdin[0] != want {
		t.Errorf("stdin %q", cli.stdin[0])
	}
}

func TestRedisSidekiqErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		cli  *scriptedCLI
		want string
	}{
		{"redis down", &scriptedCLI{exitCode: 1, stderr: "Could not connect to Redis at 127.0.0.1:6379: Connection refused\n"},
			"redis-cli in redis exited with 1: Could not connect to Redis at 127.0.0.1:6379: Connection refused"},
		{"a password", &scriptedCLI{members: "(error) NOAUTH Authentication required.\n"}, "redis: NOAUTH Authentication required."},
		{"a key of another type", &scriptedCLI{members: "(empty array)\n", replies: "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n(integer) 0\n(integer) 0\n(nil)\n(nil)\n"},
			"redis: WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"too few replies", &scriptedCLI{members: "(empty array)\n", replies: "(integer) 0\n"}, "redis-cli answered 1 lines to 5 commands"},
		{"a counter that is no number", &scriptedCLI{members: "(empty array)\n", replies: "(integer) 0\n(integer) 0\n(integer) 0\n\"many\"\n(nil)\n"},
			`sidekiq: GET stat:processed: expected a number, got "many"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cli.t = t
			_, err := (&status.RedisSidekiq{Exec: tt.cli}).Stats(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestLatencyOfOddJobs: a job without enqueued_at, or not JSON, counts in its queue's
// size and adds no latency.
func TestLatencyOfOddJobs(t *testing.T) {
	cli := &scriptedCLI{t: t, members: "1) \"a\"\n2) \"b\"\n3) \"c\"\n", replies: strings.Join([]string{
		"(integer) 4", `"not json"`,
		"(integer) 1", `"{\"class\":\"Z\"}"`,
		"(integer) 1", `"{\"enqueued_at\":1700000100}"`, // in the future of the clock
		"(integer) 0", "(integer) 0", "(integer) 0", "(nil)", "(nil)",
	}, "\n") + "\n"}
	st, err := (&status.RedisSidekiq{Exec: cli, Now: func() time.Time { return sidekiqNow }}).Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Enqueued != 6 || st.Latency != 0 {
		t.Errorf("Stats() = %+v", st)
	}
}

func equalStats(a, b status.SidekiqStats) bool {
	return slices.Equal(a.Queues, b.Queues) &&
		a.Enqueued == b.Enqueued && a.Latency == b.Latency && a.Retries == b.Retries && a.Dead == b.Dead &&
		a.Scheduled == b.Scheduled && a.Processed == b.Processed && a.Failed == b.Failed
}
