// Package status gathers the one-reply summary of an instance that `status` answers with:
// the Compose services and their health, web's /health and streaming's health, the running
// version, the host's disks, load and memory, the last backup and restore check, the TLS
// certificates, and Sidekiq's queues read from Redis with redis-cli.
//
// Each part reads its own source with its own timeout, and a part that fails or hangs
// becomes a ✗ line instead of failing the reply: a status is most wanted when something is
// broken. Every source is a small interface with a real implementation, so tests can fix
// the facts and compare the rendered reply with a golden file.
package status
