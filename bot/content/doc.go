// Package content converts between what Mastodon stores and what the bot reasons about.
//
// Incoming: a status's content is HTML, rendered by Mastodon's TextFormatter for local
// accounts and by whatever software the sender runs (then sanitized) for remote ones.
// PlainText flattens either kind into text and Command extracts the command line an admin
// typed, so the rest of the bot never sees markup.
//
// Outgoing: a reply must fit the instance's max_characters as Mastodon counts them, not as
// Go counts bytes or runes. Length mirrors StatusLengthValidator (grapheme clusters, every
// URL as characters_reserved_per_url, remote mentions as @user) and Split cuts long
// output into a numbered thread whose parts each pass that check.
package content
