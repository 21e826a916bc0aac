package mastodonsim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// streamError is a failure of streaming authentication or subscription,
// with the status the streaming server's error classes carry.
type streamError struct {
	status int
	msg    string
}

var (
	errMissingToken = &streamError{http.StatusUnauthorized, "Missing access token"}
	errInvalidToken = &streamError{http.StatusUnauthorized, "Invalid access token"}
	errScopes       = &streamError{http.StatusUnauthorized, "Access token does not have the required scopes"}
	errUnknownType  = &streamError{http.StatusBadRequest, "Unknown stream type"}
)

// publicStreams need no scope (streaming/index.js PUBLIC_CHANNELS).
var publicStreams = []string{"public", "public:media", "public:local", "public:local:media", "public:remote", "public:remote:media", "hashtag", "hashtag:local"}

// streamToken is accountFromRequest: the Authorization header wins, else
// the access_token parameter, else Sec-WebSocket-Protocol; revoked tokens
// are unknown to the streaming server's query (revoked_at IS NULL).
func (s *Server) streamToken(r *http.Request) (*token, *streamError) {
	raw := ""
	if h := r.Header.Get("Authorization"); h != "" {
		raw = strings.TrimPrefix(h, "Bearer ")
	} else if q := r.URL.Query().Get("access_token"); q != "" {
		raw = q
	} else {
		raw = r.Header.Get("Sec-WebSocket-Protocol")
	}
	if raw == "" {
		return nil, errMissingToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokenLocked(raw)
	if t == nil || t.revoked {
		return nil, errInvalidToken
	}
	return t, nil
}

// checkStreamScopes is checkScopes: public streams need nothing, the
// others "read" or, literally, "read:notifications" (user:notification)
// or "read:statuses".
func checkStreamScopes(t *token, name string) *streamError {
	if slices.Contains(publicStreams, name) {
		return nil
	}
	need := "read:statuses"
	if name == "user:notification" {
		need = "read:notifications"
	}
	if t.hasExact("read", need) {
		return nil
	}
	return errScopes
}

// streamSubscription is channelNameToIds: the channels behind a stream
// name and the stream array a WebSocket envelope carries.
func streamSubscription(t *token, name string, q url.Values) (*subscription, *streamError) {
	id := t.account.ID
	one := func(ch string) *subscription { return &subscription{stream: []string{name}, channels: []string{ch}} }
	switch name {
	case "user":
		sub := one("timeline:" + id)
		// channelsForUserStream: notifications only with read or read:notifications.
		if t.hasExact("read", "read:notifications") {
			sub.channels = append(sub.channels, "timeline:"+id+":notifications")
		}
		return sub, nil
	case "user:notification":
		return one("timeline:" + id + ":notifications"), nil
	case "public", "public:local", "public:remote":
		if isTruthy(q.Get("only_media")) {
			return one("timeline:" + name + ":media"), nil
		}
		return one("timeline:" + name), nil
	case "public:media", "public:local:media", "public:remote:media":
		return one("timeline:" + name), nil
	case "direct":
		return one("timeline:direct:" + id), nil
	case "hashtag", "hashtag:local":
		tag := q.Get("tag")
		if tag == "" {
			return nil, &streamError{http.StatusBadRequest, "No tag for stream provided"}
		}
		ch := "timeline:hashtag:" + strings.ToLower(tag)
		if name == "hashtag:local" {
			ch += ":local"
		}
		return &subscription{stream: []string{name, tag}, channels: []string{ch}}, nil
	case "list":
		// Lists are not imitated, so no list belongs to the account.
		return nil, &streamError{http.StatusUnauthorized, "Not authorized to stream this list"}
	}
	return nil, errUnknownType
}

func isTruthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "t", "on", "yes":
		return true
	}
	return false
}

// sseChannelName is channelNameFromPath.
func sseChannelName(r *http.Request) string {
	onlyMedia := isTruthy(r.URL.Query().Get("only_media"))
	media := func(n string) string {
		if onlyMedia {
			return n + ":media"
		}
		return n
	}
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/api/v1/streaming/user":
		return "user"
	case "/api/v1/streaming/user/notification":
		return "user:notification"
	case "/api/v1/streaming/public":
		return media("public")
	case "/api/v1/streaming/public/local":
		return media("public:local")
	case "/api/v1/streaming/public/remote":
		return media("public:remote")
	case "/api/v1/streaming/hashtag":
		return "hashtag"
	case "/api/v1/streaming/hashtag/local":
		return "hashtag:local"
	case "/api/v1/streaming/direct":
		return "direct"
	case "/api/v1/streaming/list":
		return "list"
	}
	return ""
}

// StreamInfo describes an open stream connection.
type StreamInfo struct {
	Account   *Account
	WebSocket bool
	// Streams are the subscribed stream names, e.g. "user",
	// "user:notification", "hashtag:foo".
	Streams []string
}

// Streams lists the open stream connections and their subscriptions.
func (s *Server) Streams() []StreamInfo {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []StreamInfo
	for c := range h.conns {
		if c.endMode() != endNone {
			continue
		}
		info := StreamInfo{Account: c.tok.account, WebSocket: c.ws}
		for _, sub := range c.subs {
			info.Streams = append(info.Streams, strings.Join(sub.stream, ":"))
		}
		out = append(out, info)
	}
	return out
}

// streamsChanged wakes WaitFor callers after a stream connection or
// subscription changed. It must be called without s.mu or hub.mu held.
func (s *Server) streamsChanged() {
	s.mu.Lock()
	s.changedLocked()
	s.mu.Unlock()
}
