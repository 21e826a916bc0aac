// Package schedule runs the bot's named schedules (nightly backup, media cleanup,
// certificate check) on robfig/cron and remembers in the state file how each run went.
//
// Cron alone forgets everything when the process stops, and a docker-compose host is
// restarted often: for an upgrade, a reboot, a crashed container. A nightly backup whose
// 03:00 slot fell into such a gap would silently not happen. So every run, and every
// decision not to run, is recorded per schedule with the slot it was for, and Start
// compares the records with the schedules before handing over to cron: a slot missed a
// little while ago (Options.CatchUp) is run once now; an older one is recorded as
// "missed" and logged, so the admin sees it in the timers list instead of guessing.
package schedule
