package commands

import "regexp"

// secretWord matches a flag or key=value whose name says it carries a secret, and its value:
// "--password hunter2", "--token=abc", "PGPASSWORD=x", "api_key=x".
var secretWord = regexp.MustCompile(`(?i)((?:^|\s)(?:--?)?[\w.-]*(?:password|passwd|token|secret|api[_-]?key|access[_-]?key)[\w.-]*(?:=|\s+))("[^"]*"|'[^']*'|\S+)`)

// Mask returns line with the values of secret-looking flags and keys replaced, for the
// audit trail and the log: a `run web -- tootctl … --password x` must not be recorded
// with its password.
func Mask(line string) string {
	return secretWord.ReplaceAllString(line, "${1}********")
}
