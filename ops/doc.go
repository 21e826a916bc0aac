// Package ops holds the actions tootops runs against the Docker Engine, PostgreSQL and S3.
//
// Each action takes a context (cancellation reaches it) and reports progress through
// the one small Progress interface, so the transport can turn it into a reply edited
// in place without the action knowing about Mastodon or the console.
package ops
