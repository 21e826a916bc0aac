// Package jobs runs commands as jobs: each has an id, a sender, a state persisted in the
// state store, progress, a timeout, a result and the tail of its output; it can be
// cancelled; and it holds named locks on what it touches while it runs.
//
// Jobs are never re-run by themselves: a job found running when the bot starts was cut
// off by a crash or a restart, so it is marked interrupted and its sender is told.
package jobs
