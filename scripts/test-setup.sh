#!/usr/bin/env bash
# Installs and starts what `make test` needs on a fresh machine of this kind (Debian with Go
# and a Docker daemon). Idempotent: a second run finds everything in place and is quick.
set -euo pipefail

need_go() {
	if ! command -v go >/dev/null 2>&1; then
		echo "test-setup: go is not on PATH; install Go $(sed -n 's/^go //p' go.mod) first" >&2
		exit 1
	fi
}

need_go
# Later: PostgreSQL from Debian's packages, the S3 server (versitygw), the lab's Docker images.
echo "test-setup: ready"
