// Package bot owns the conversation: messages arrive through a Transport (Mastodon DMs,
// or the console standing in for them), are authorized, parsed by the command registry,
// run, and answered in the same thread. The console drives the very same pipeline as
// Mastodon, so what works from a terminal works from a DM.
package bot
