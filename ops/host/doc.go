// Package host reads the systemd of the machine the bot runs on: its timers, as
// `systemctl list-timers` shows them, and the journal of the units the config allows, as
// `journalctl -u` shows it. It is what the `timers` and `journal` commands read.
//
// It runs systemctl and journalctl (looked up on PATH) and parses their JSON output
// rather than talking D-Bus and reading journal files (github.com/coreos/go-systemd): no
// new dependency, no cgo, and exactly what an admin sees at the shell. Every run has a
// time limit and a bound on the output it keeps.
//
// Where systemd does not run the machine (the bot in a container, a system booted with
// another init), every call says so with ErrContainer or ErrNoSystemd, before running
// any program.
package host
