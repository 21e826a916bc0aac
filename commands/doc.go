// Package commands is the grammar of tootops: how a line of a direct message becomes a command
// with typed arguments, the registry of commands, the help generated from it, and a few
// built-in commands (help, ping, whoami).
//
// A command declares its name, arguments, flags, help text, whether it changes state (then
// the registry gives it --dry-run and --yes and the bot asks for confirmation) and what it
// locks. The bot reads the first non-empty line of a message, after the mentions, and hands it
// to [Registry.Parse]; a *[UsageError] carries the exact text to reply, and an [*Invocation]
// carries the typed values the command's [Handler] reads.
//
// The grammar is meant for phones: words are separated by any Unicode space, ASCII and curly
// quotes group words, a backslash escapes the next character (not inside single quotes), an
// em or en dash at the start of a word means "--", and command words are case-insensitive.
// There are no shell semantics: $, globs and backticks are plain characters.
//
// Nothing in this package touches Docker, the database or the network.
package commands
