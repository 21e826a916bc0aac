package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// envelope is a WebSocket message: the payload is a JSON document in a string.
type envelope struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload *string  `json:"payload"`
	Error   string   `json:"error"`
}

func (c *Client) runWebSocket(ctx context.Context, out chan<- Event) error {
	c.mode.Store(WebSocket)
	u, err := c.endpoint("/api/v1/streaming", true)
	if err != nil {
		return err
	}
	ctx, dog := newWatchdog(ctx, c.o.Idle)
	defer dog.stop()
	h := http.Header{}
	// The token goes in a header, never the query string, where it would end up in logs.
	h.Set("Authorization", "Bearer "+c.o.Token)
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: c.o.HTTP,
		HTTPHeader: h,
		OnPingReceived: func(context.Context, []byte) bool {
			dog.kick()
			return true
		},
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return statusError(resp.StatusCode)
		}
		return fmt.Errorf("websocket dial: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	sub, _ := json.Marshal(map[string]string{"type": "subscribe", "stream": "user:notification"})
	if err := conn.Write(ctx, websocket.MessageText, sub); err != nil {
		return fmt.Errorf("websocket subscribe: %w", err)
	}
	c.connected.Store(true)
	c.log.Info().Str("mode", string(WebSocket)).Msg("stream connected")
	if err := deliver(ctx, out, Event{Kind: Connected, Mode: WebSocket}); err != nil {
		return err
	}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if cause := context.Cause(ctx); errors.Is(cause, errIdle) {
				return errIdle
			}
			return fmt.Errorf("websocket read: %w", err)
		}
		dog.kick()
		var env envelope
		if err := json.Unmarshal(data, &env); err != nil {
			c.log.Warn().Err(err).Msg("unreadable websocket message ignored")
			continue
		}
		if env.Error != "" {
			c.log.Warn().Str("error", env.Error).Msg("streaming server reported an error")
			continue
		}
		if env.Event != "notification" || env.Payload == nil {
			continue // other events (and unknown ones) are not for the bot
		}
		if err := deliver(ctx, out, Event{Kind: Notification, Mode: WebSocket, Payload: json.RawMessage(*env.Payload)}); err != nil {
			return err
		}
	}
}
