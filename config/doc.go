// Package config loads, checks and prints tootops' TOML configuration.
//
// The flow is Default, then the file laid over it, then secrets from their
// files and the environment, then Validate:
//
//	cfg, err := config.Load("/etc/tootops/config.toml")
//	var probs config.Problems
//	if errors.As(err, &probs) { /* one "key: message" per problem */ }
//
// Decoding is strict and reports every problem at once: unknown keys (with a
// suggestion for typos), wrong types, invalid values and conflicting secret
// sources each become a [Problem] naming the full key and what is accepted.
// Only a TOML syntax error stops early, because the parser cannot go on.
//
// Optional sections ([mastodon], [compose], [backup]) are nil pointers when the
// file leaves them out; a section that is present is checked fully, with
// defaults for the keys it omits.
//
// Secrets ([Secret]) never print: String, %v, %#v, JSON and every error mask
// them. A secret comes from its inline key, from its *_file key or from an
// environment variable; the environment wins. The variables are:
//
//	TOOTOPS_MASTODON_ACCESS_TOKEN  mastodon.access_token
//	TOOTOPS_S3_ACCESS_KEY_ID       backup.s3.access_key_id
//	TOOTOPS_S3_SECRET_ACCESS_KEY   backup.s3.secret_access_key
//	TOOTOPS_DATABASE_PASSWORD      backup.host.password
//	TOOTOPS_GITHUB_TOKEN           upgrade.github_token
//	TOOTOPS_LOG_LEVEL              log.level (not a secret)
//
// Adding a key is a struct field with a toml tag (and an example tag if the
// type error message needs one), a default in Default or the section's
// setDefaults, and its check in validate.go.
package config
