package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (c *Client) runSSE(ctx context.Context, out chan<- Event) error {
	c.mode.Store(SSE)
	u, err := c.endpoint("/api/v1/streaming/user/notification", false)
	if err != nil {
		return err
	}
	ctx, dog := newWatchdog(ctx, c.o.Idle)
	defer dog.stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.o.Token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("sse connect: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return fmt.Errorf("content type %q: %w", ct, errUnsupported)
	}
	c.connected.Store(true)
	c.log.Info().Str("mode", string(SSE)).Msg("stream connected")
	if err := deliver(ctx, out, Event{Kind: Connected, Mode: SSE}); err != nil {
		return err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event string
	var data strings.Builder
	for sc.Scan() {
		dog.kick() // any line, the ":thump" heartbeat included, proves the stream alive
		line := sc.Text()
		switch {
		case line == "":
			if event == "notification" && data.Len() > 0 {
				payload := json.RawMessage(data.String())
				if err := deliver(ctx, out, Event{Kind: Notification, Mode: SSE, Payload: payload}); err != nil {
					return err
				}
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
			// a comment: the heartbeat
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	if errors.Is(context.Cause(ctx), errIdle) {
		return errIdle
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sse read: %w", err)
	}
	// Mastodon ends the response when the token is revoked; the reconnect will say 401.
	return errors.New("sse stream ended by the server")
}

// poll is the mode of last resort: it asks the consumer to catch up every PollEvery,
// for Retry, then returns so the streams are tried again.
func (c *Client) poll(ctx context.Context, out chan<- Event) error {
	c.mode.Store(Polling)
	c.log.Warn().Dur("every", c.o.PollEvery).Msg("no stream offered: polling notifications")
	tick := time.NewTicker(c.o.PollEvery)
	defer tick.Stop()
	deadline := time.After(c.o.Retry)
	for {
		if err := deliver(ctx, out, Event{Kind: Connected, Mode: Polling}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-tick.C:
		}
	}
}
