// Package compose operates a docker-compose deployment of Mastodon through the Docker
// Engine API, the way the Compose CLI does it, without the CLI.
//
// Containers are found by their Compose labels only (never by name), so projects brought up
// by Compose v2 (project-web-1) and by the Python Compose v1 (project_web_1) both work.
// Replicas are ordered by com.docker.compose.container-number, one-off containers (compose
// run) are kept apart, and containers without a com.docker.compose.config-hash label are
// ignored as Compose ignores them.
//
// The operations are those of the co-op's runbook: Ps, start/stop/restart in depends_on
// order (Do), Scale, Logs, one-off containers (Run) and MediaCleanup. Each takes a context
// that cancels it, reports progress through ops.Progress, and fails with an *ops.Error
// whose Safe text can be shown to an admin.
//
// The facts behind the choices (labels, what each compose command does in Engine API
// calls, API 1.41 limits) are in the project's research notes, docker-compose-api.md.
package compose
