// Package release knows Mastodon's releases: their versions, what their release notes ask
// of an operator, where to fetch them (the GitHub Releases API) and which releases an
// upgrade has to pass through.
//
// The rules follow the operator documentation and the release notes themselves (see
// shared/research/mastodon-upgrade.md §1–§2): deploy at least one release of every minor
// series, read the notes of every release that is skipped, order releases by version and
// never by date (backports are published after newer branches), and stop and ask a human
// whenever the notes say something this package does not understand.
package release
