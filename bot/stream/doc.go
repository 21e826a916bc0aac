// Package stream is tootops' own client for Mastodon's streaming API.
//
// go-mastodon's streaming clients reconnect without backoff (and forever after a 401),
// have no idle detection and block on an unbuffered channel, so the bot keeps its own:
// WebSocket first (what Mastodon, GoToSocial and Akkoma all serve), then SSE, then REST
// polling when a server offers neither; exponential backoff with jitter; a reconnect after
// 45 s without a heartbeat, ping or event; and a stop, with the reason, on 401.
//
// The client only delivers events. After every (re)connect it emits Connected, and the
// consumer catches up over REST before it reads on, so nothing sent while the stream was
// down is lost: the server keeps no backlog.
package stream
