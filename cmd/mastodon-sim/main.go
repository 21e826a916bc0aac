// Command mastodon-sim runs the in-process Mastodon imitation on its own,
// for trying the bot end to end without a Mastodon server:
//
//	go run ./cmd/mastodon-sim --listen 127.0.0.1:3000 --bot tootops \
//	    --admin alice --admin bob --token-file /tmp/tok
//
// It prints the URL and the bot's token (or writes the token to
// --token-file), then serves until interrupted. DMs are sent by hand with
//
//	curl -d 'ps' 'http://127.0.0.1:3000/_sim/dm?from=alice'
//	curl 'http://127.0.0.1:3000/_sim/statuses'
//
// It refuses to listen on anything but a loopback address.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/mastodonsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "mastodon-sim:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mastodon-sim:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage error")

// options are the command line flags.
type options struct {
	listen      string
	bot         string
	admins      []string
	remotes     []string
	tokenFile   string
	followAll   bool
	maxChars    int
	heartbeat   time.Duration
	pingEvery   time.Duration
	logRequests bool
}

type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(v string) error {
	*l.values = append(*l.values, v)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mastodon-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:3000", "loopback `address` to listen on")
	fs.StringVar(&o.bot, "bot", "tootops", "`username` of the bot account")
	fs.Var(listFlag{&o.admins}, "admin", "local admin `username` (repeatable)")
	fs.Var(listFlag{&o.remotes}, "remote", "remote account `user@domain` (repeatable), e.g. a lookalike admin")
	fs.StringVar(&o.tokenFile, "token-file", "", "write the bot's token to this `file` instead of printing it")
	fs.BoolVar(&o.followAll, "bot-follows-admins", false, "make the bot follow the admins, so their DMs are not filtered by the default notification policy")
	fs.IntVar(&o.maxChars, "max-characters", 500, "status length limit")
	fs.DurationVar(&o.heartbeat, "heartbeat", 15*time.Second, "SSE heartbeat interval")
	fs.DurationVar(&o.pingEvery, "ping-interval", 30*time.Second, "WebSocket ping interval")
	fs.BoolVar(&o.logRequests, "log-requests", true, "log every request to stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := mastodonsim.CheckLoopback(o.listen); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	for _, r := range o.remotes {
		if u, d, ok := strings.Cut(r, "@"); !ok || u == "" || d == "" {
			return o, fmt.Errorf("%w: --remote %q: want user@domain", errUsage, r)
		}
	}
	return o, nil
}

// run starts the imitation and serves until ctx ends. ready, if not nil, is
// called once the server is up (for tests).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*mastodonsim.Server)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	simOpts := []mastodonsim.Option{
		mastodonsim.WithListenAddr(o.listen),
		mastodonsim.WithControlAPI(),
		mastodonsim.WithMaxCharacters(o.maxChars),
		mastodonsim.WithHeartbeat(o.heartbeat),
		mastodonsim.WithPingInterval(o.pingEvery),
	}
	if o.logRequests {
		simOpts = append(simOpts, mastodonsim.WithRequestObserver(func(r mastodonsim.Request) {
			log.Info().Str("method", r.Method).Str("path", r.Path).Int("status", r.Status).Msg("request")
		}))
	}
	srv, err := mastodonsim.NewServer(simOpts...)
	if err != nil {
		return err
	}
	defer srv.Close()

	bot := srv.AddLocalAccount(o.bot, mastodonsim.Bot())
	for _, a := range o.admins {
		admin := srv.AddLocalAccount(a)
		if o.followAll {
			srv.Follow(bot, admin)
		}
	}
	for _, r := range o.remotes {
		u, d, _ := strings.Cut(r, "@")
		srv.AddRemoteAccount(u, d)
	}
	tok := srv.Token(bot, "read", "write", "follow")

	fmt.Fprintf(stdout, "mastodon-sim listening on %s (domain %s)\n", srv.URL, srv.Domain)
	if o.tokenFile != "" {
		if err := os.WriteFile(o.tokenFile, []byte(tok+"\n"), 0o600); err != nil {
			return fmt.Errorf("write token file: %w", err)
		}
		fmt.Fprintf(stdout, "bot @%s token written to %s\n", o.bot, o.tokenFile)
	} else {
		fmt.Fprintf(stdout, "bot @%s token: %s\n", o.bot, tok)
	}
	for _, a := range o.admins {
		fmt.Fprintf(stdout, "send a DM:  curl -d 'ping' '%s/_sim/dm?from=%s'\n", srv.URL, a)
	}
	fmt.Fprintf(stdout, "bot posts:  curl '%s/_sim/statuses'\n", srv.URL)
	log.Info().Str("url", srv.URL).Str("bot", o.bot).Int("admins", len(o.admins)).Msg("mastodon-sim started")
	if ready != nil {
		ready(srv)
	}
	<-ctx.Done()
	log.Info().Msg("mastodon-sim shutting down")
	return nil
}
