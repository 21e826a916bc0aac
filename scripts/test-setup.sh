#!/usr/bin/env bash
# Installs and starts what `make test` needs on a fresh machine of this kind (Debian with Go
# and a Docker daemon). Idempotent: a second run finds everything in place and is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

# The S3 server of the backup tests, built from source with `go install`.
VERSITYGW_VERSION=v1.8.0
# The Docker registry of the upgrade tests (real pulls), built from source with `go install`;
# keep in step with lab.RegistryVersion.
REGISTRY_VERSION=v3.1.2
CACHE_DIR=${TOOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tootops}
PG_BIN=/usr/lib/postgresql/15/bin

sudo_cmd() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

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

# PostgreSQL 15 from Debian's packages, for lab.Postgres (a throwaway cluster on the host)
# and for the lab's real PostgreSQL image, which lab/build.sh makes from these files. No
# default cluster: the tests start their own.
need_postgres() {
	# Leftovers of lab.Postgres in test runs killed before their cleanup (its postgres
	# stops with the test binary): clusters older than two hours that no postgres runs.
	find "${TMPDIR:-/tmp}" /tmp -maxdepth 1 -name 'tootops-pg-*' -type d -mmin +120 \
		! -exec test -e '{}/data/postmaster.pid' ';' -exec rm -rf '{}' + 2>/dev/null || true
	[ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && return 0
	echo "test-setup: installing postgresql-15 (Debian packages)"
	local apt=(sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	sudo_cmd apt-get update -qq
	# postgresql-common first, so that installing postgresql-15 makes no main cluster, as
	# the official image does it.
	"${apt[@]}" postgresql-common >/dev/null
	sudo_cmd sed -ri 's/^#? *(create_main_cluster) *=.*$/\1 = false/' /etc/postgresql-common/createcluster.conf
	"${apt[@]}" postgresql-15 >/dev/null
	if [ ! -x "$PG_BIN/postgres" ]; then
		echo "test-setup: $PG_BIN/postgres is still missing after installing postgresql-15" >&2
		exit 1
	fi
}

# Redis 7 from Debian's packages (redis-server, with redis-tools for redis-cli): only its
# files, which lab/build.sh makes the lab's real Redis image from. The service the package
# starts on systemd hosts is not needed, so it is stopped and disabled.
need_redis() {
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
	echo "test-setup: installing redis-server (Debian packages)"
	sudo_cmd apt-get update -qq
	sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold redis-server redis-tools >/dev/null
	if command -v systemctl >/dev/null 2>&1; then
		sudo_cmd systemctl disable --now redis-server >/dev/null 2>&1 || true
	fi
	if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
		echo "test-setup: redis-server or redis-cli is still missing after installing redis-server" >&2
		exit 1
	fi
}

# versitygw, the S3 server of the tests, in $CACHE_DIR/bin. `go install` leaves its version
# as "git", so it is set at link time, and a binary that reports another version is rebuilt.
# zstd, the program the restore commands use: a test reads the bot's backups with it.
need_zstd() {
	command -v zstd >/dev/null 2>&1 && return 0
	echo "test-setup: installing zstd (Debian package)"
	sudo_cmd apt-get update -qq
	sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zstd >/dev/null
	command -v zstd >/dev/null 2>&1 || { echo "test-setup: zstd is still missing after installing it" >&2; exit 1; }
}

need_versitygw() {
	local bin="$CACHE_DIR/bin/versitygw"
	if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "Version *: $VERSITYGW_VERSION"; then
		return 0
	fi
	echo "test-setup: building versitygw $VERSITYGW_VERSION into $CACHE_DIR/bin (a few minutes the first time)"
	mkdir -p "$CACHE_DIR/bin"
	GOBIN="$CACHE_DIR/bin" go install \
		-ldflags "-s -w -X main.Version=$VERSITYGW_VERSION" \
		"github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	if ! "$bin" --version 2>/dev/null | grep -qx "Version *: $VERSITYGW_VERSION"; then
		echo "test-setup: $bin does not report $VERSITYGW_VERSION" >&2
		exit 1
	fi
}

# The Docker registry (distribution) in $CACHE_DIR/bin, for lab.Registry. `go install`
# leaves its version as "<release>+unknown"; it is set at link time, and a binary that
# reports another version is rebuilt. Lab image tags of registries that no longer listen
# (test runs killed before their cleanup) are removed.
need_registry() {
	local bin="$CACHE_DIR/bin/registry" want="registry github.com/distribution/distribution/v3 $REGISTRY_VERSION"
	local ref port
	for ref in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^127\.0\.0\.1:[0-9]*/' || true); do
		port=${ref#127.0.0.1:}
		port=${port%%/*}
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			docker rmi "$ref" >/dev/null 2>&1 || true
		fi
	done
	if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | sed 's/^[^ ]* /registry /')" = "$want" ]; then
		return 0
	fi
	echo "test-setup: building the Docker registry $REGISTRY_VERSION into $CACHE_DIR/bin (a few minutes the first time)"
	mkdir -p "$CACHE_DIR/bin"
	GOBIN="$CACHE_DIR/bin" go install \
		-ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
		"github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
	if [ "$("$bin" --version 2>/dev/null | sed 's/^[^ ]* /registry /')" != "$want" ]; then
		echo "test-setup: $bin does not report $REGISTRY_VERSION: $("$bin" --version 2>&1)" >&2
		exit 1
	fi
}

need_go
need_postgres # before need_lab: lab/build.sh builds the PostgreSQL image from its files
need_redis    # before need_lab too, for the Redis image
need_lab
need_zstd
need_versitygw
need_registry
echo "test-setup: ready"
