package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// defaultHealthURL is /healthz on the default [http] listen address; in a container the
// check runs in the bot's own network namespace, so loopback reaches it.
const defaultHealthURL = "http://127.0.0.1:9102/healthz"

// healthcheckTimeout bounds the whole request, below the image's HEALTHCHECK --timeout
// (5 s), so a hung bot gets our message rather than Docker's kill. A variable for tests.
var healthcheckTimeout = 3 * time.Second

// healthcheckCommand is `bot healthcheck [--url URL]`: the probe of the container image's
// HEALTHCHECK (scratch has no curl). Exit 0 on 200; otherwise it says why and exits 1.
func healthcheckCommand() subcommand {
	var target string
	return subcommand{
		flags: func(fs *flag.FlagSet, _ *env) {
			fs.StringVar(&target, "url", defaultHealthURL, "the bot's health endpoint")
		},
		run: func(ctx context.Context, e *env) error { return runHealthcheck(ctx, e, target) },
	}
}

func runHealthcheck(ctx context.Context, e *env, target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("healthcheck: --url %q: want an absolute http or https URL such as %s", target, defaultHealthURL)}
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	client := &http.Client{
		// No proxy from the environment: the probe is for this bot, not for the way out.
		Transport: &http.Transport{DisableKeepAlives: true},
		// A redirect is not health; report it rather than follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: GET %s: %s", u.Redacted(), healthcheckReason(ctx, err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("healthcheck: GET %s: %s", u.Redacted(), resp.Status)
		if s := strings.Join(strings.Fields(string(body)), " "); s != "" {
			if len(s) > 200 {
				s = s[:200] + "…"
			}
			msg += ": " + s
		}
		return errors.New(msg)
	}
	_, err = fmt.Fprintf(e.stdout, "healthy: GET %s: %s\n", u.Redacted(), resp.Status)
	return err
}

// healthcheckReason turns a transport error into one line an admin can act on.
func healthcheckReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", healthcheckTimeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: is the bot running, with [http] listen on this address?"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return err.Error()
}
