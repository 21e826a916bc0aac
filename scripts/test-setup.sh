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

# The lab (lab/): a Docker daemon, docker-compose v1 for the test that brings the lab's
# docker-compose.yml up with it, and the lab's images, built here since nothing can be
# pulled. lab/build.sh skips the build when the images match lab/'s sources.
need_lab() {
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	if ! command -v docker >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
		echo "test-setup: installing docker.io and docker-compose (Debian packages)"
		$sudo apt-get update -qq
		$sudo apt-get install -y -qq docker.io docker-compose >/dev/null
	fi
	if ! docker version >/dev/null 2>&1; then
		echo "test-setup: starting the Docker daemon"
		if command -v systemctl >/dev/null 2>&1 && $sudo systemctl start docker 2>/dev/null; then
			:
		else
			$sudo sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
		fi
		for _ in $(seq 60); do
			docker version >/dev/null 2>&1 && break
			sleep 0.5
		done
		if ! docker version >/dev/null 2>&1; then
			echo "test-setup: the Docker daemon did not start (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}); see /var/log/dockerd.log" >&2
			exit 1
		fi
	fi
	# Leftovers of test runs that were killed before their cleanup: lab containers and
	# networks older than two hours.
	docker container prune -f --filter label=tootops.test=1 --filter until=2h >/dev/null
	docker network prune -f --filter label=tootops.test=1 --filter until=2h >/dev/null
	./lab/build.sh
}

need_go
need_lab
# Later: PostgreSQL from Debian's packages, the S3 server (versitygw).
echo "test-setup: ready"
