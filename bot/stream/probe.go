package stream

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Probe finds the best mode the server offers, the way Run would, without delivering
// anything: for `bot check`. A refused token is ErrUnauthorized.
func Probe(ctx context.Context, o Options) (Mode, error) {
	c := New(o)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u, err := c.endpoint("/api/v1/streaming", true)
	if err != nil {
		return "", err
	}
	h := http.Header{"Authorization": {"Bearer " + o.Token}}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c.o.HTTP, HTTPHeader: h})
	if err == nil {
		conn.Close(websocket.StatusNormalClosure, "probe")
		return WebSocket, nil
	}
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		if err := statusError(resp.StatusCode); errors.Is(err, ErrUnauthorized) {
			return "", err
		}
	}
	u, err = c.endpoint("/api/v1/streaming/user/notification", false)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+o.Token)
	r, err := c.o.HTTP.Do(req)
	if err != nil {
		return Polling, nil
	}
	r.Body.Close()
	switch err := statusError(r.StatusCode); {
	case r.StatusCode == http.StatusOK:
		return SSE, nil
	case errors.Is(err, ErrUnauthorized):
		return "", err
	default:
		return Polling, nil
	}
}
