// Package mastodonsim is an in-process imitation of a Mastodon server for
// tests, in the spirit of net/http/httptest.
//
// The bot under test talks to it over real HTTP, SSE and WebSocket
// connections on 127.0.0.1, so every byte it parses has the shape a real
// Mastodon 4.3 server sends: string ids that grow in value, timestamps with
// milliseconds, {"error": "..."} bodies, Link headers for paging,
// X-RateLimit-* headers, HTML content rendered the way TextFormatter renders
// local posts, notification filtering by the 4.3 notification policy, and
// streaming framing copied from Mastodon's streaming server.
//
// Where Mastodon's behaviour is documented in
// /work/shared/research/mastodon-api.md the imitation follows it; where the
// research is silent, comments say which Mastodon code path was imitated or
// why a simplification was chosen. Deliberate departures are listed here:
//
//   - The local domain carries a port ("127.0.0.1:41234"), so mentions of the
//     form @user@127.0.0.1:41234 are recognised as local. Real instance
//     domains never carry a port, so Mastodon's mention regexp does not.
//   - Rack::Attack safelists 127.0.0.1, so a real server would not throttle a
//     bot on localhost; the imitation throttles anyway, as the bot would be
//     throttled when it reaches the server through its public hostname.
//   - Only what a DM bot touches is implemented: no media, polls, lists,
//     filters, favourites, scheduled statuses or federation.
//
// A test starts one with New, adds accounts, issues tokens and drives
// traffic from the admins' side with Post, Edit, Delete and Follow; Faults
// switches failure modes at run time; Statuses, Notifications and Requests
// expose what the bot did.
package mastodonsim
