#!/usr/bin/env bash
# Builds the lab's Docker images without any registry:
#   - from lab/mastolab and lab/image, a static Go binary copied into a FROM scratch image,
#     built for two Mastodon versions (each with its own public/packs, lab/image/stage.sh),
#     and the first tagged as the db and redis stand-ins;
#   - from lab/pgimage, tootops-lab/postgres:15, a real PostgreSQL 15 FROM scratch out of
#     the host's Debian packages (postgresql-15, which scripts/test-setup.sh installs), with
#     mastolab as its entrypoint;
#   - from lab/redisimage, tootops-lab/redis:7, a real Redis 7 FROM scratch out of the host's
#     Debian redis-server and redis-cli (redis-server, which scripts/test-setup.sh installs).
# Idempotent and quick when up to date: the images carry the hash of their sources (label
# tootops.lab.hash), and a matching hash skips the build. lab/lab.go computes the same
# hashes, so tests can tell stale images from fresh ones.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with lab.Images, lab.SourceHash, lab.RealPostgresImage, lab.PostgresHash,
# lab.RealRedisImage and lab.RedisHash.
versions=(4.5.0 4.5.1)
repo=tootops-lab/mastodon
extra_tags=("tootops-lab/postgres:14-lab" "tootops-lab/redis:7-lab")
pg_tag=tootops-lab/postgres:15
pg_bin=/usr/lib/postgresql/15/bin
pg_tools=(postgres initdb pg_ctl pg_dump pg_dumpall pg_restore psql createdb dropdb pg_isready)
redis_tag=tootops-lab/redis:7

# Every file under the given paths in byte order of its path, each as its path, a newline,
# then its content.
source_stream() {
	local f
	while IFS= read -r f; do
		printf '%s\n' "$f"
		cat "$f"
	done < <(find "$@" -type f | LC_ALL=C sort)
}

source_hash() {
	source_stream lab/mastolab lab/image | sha256sum | cut -c1-16
}

# The PostgreSQL image also changes with this script (it stages the image) and with the
# host's PostgreSQL.
pg_hash() {
	{
		source_stream lab/build.sh lab/mastolab lab/pgimage
		"$pg_bin/postgres" --version
	} | sha256sum | cut -c1-16
}

# The Redis image changes with this script, lab/redisimage and the host's Redis.
redis_hash() {
	{
		source_stream lab/build.sh lab/redisimage
		redis-server --version
	} | sha256sum | cut -c1-16
}

image_hash() {
	docker image inspect -f '{{index .Config.Labels "tootops.lab.hash"}}' "$1" 2>/dev/null || true
}

# build TAG CONTEXT [docker build options…]: the legacy builder needs nothing beyond the
# daemon (no buildx); its deprecation notice is noise, so the output shows only on failure.
build() {
	local tag=$1 dir=$2 out
	shift 2
	echo "lab: building $tag"
	if ! out=$(DOCKER_BUILDKIT=0 docker build -q --label "tootops.test=1" "$@" -t "$tag" "$dir" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
}

# copy_libs ROOT FILE…: every library the files link to, the dynamic loader among them, at
# the path ldd names under ROOT (/lib is a directory in the image, not the link to /usr/lib).
copy_libs() {
	local root=$1 libs lib
	shift
	libs=$(ldd "$@")
	if grep -q 'not found' <<<"$libs"; then
		grep 'not found' <<<"$libs" >&2
		exit 1
	fi
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' <<<"$libs" | sort -u); do
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done
}

# stage_redis DIR: the Redis image's root file system in DIR/rootfs (redis-server,
# redis-cli, their libraries, redis.conf) and its data directory, owned by redis (999), in
# DIR/owned.
stage_redis() {
	local root=$1/rootfs t
	mkdir -p "$root/usr/bin" "$root/etc/redis" "$root/tmp" "$1/owned/data"
	chmod 1777 "$root/tmp"
	for t in redis-server redis-cli; do
		cp -L "$(command -v "$t")" "$root/usr/bin/$t"
	done
	copy_libs "$root" "$root"/usr/bin/*
	cp lab/redisimage/redis.conf "$root/etc/redis/redis.conf"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nredis:x:999:999:Redis:/data:/sbin/nologin\n' >"$root/etc/passwd"
	printf 'root:x:0:\nredis:x:999:\n' >"$root/etc/group"
	cp lab/redisimage/Dockerfile "$1/"
}

# stage_postgres DIR: the PostgreSQL image's root file system in DIR/rootfs, and the
# directories the postgres user (999) owns in DIR/owned; $2 is the mastolab binary.
stage_postgres() {
	local root=$1/rootfs owned=$1/owned t lib
	mkdir -p "$root$pg_bin" "$root/usr/local/bin" "$root/etc" "$root/tmp" \
		"$owned/var/lib/postgresql" "$owned/var/run/postgresql"
	chmod 1777 "$root/tmp"
	chmod 0775 "$owned/var/run/postgresql"
	for t in "${pg_tools[@]}"; do
		cp -L "$pg_bin/$t" "$root$pg_bin/"
	done
	# initdb and pg_ctl run postgres through popen(3), which needs /bin/sh.
	mkdir -p "$root/bin"
	cp -L /bin/dash "$root/bin/sh"
	for t in /usr/lib/postgresql/15/lib /usr/share/postgresql/15 /usr/share/zoneinfo; do
		mkdir -p "$root${t%/*}"
		cp -RP --preserve=mode,timestamps "$t" "$root${t%/*}/"
	done
	# Without the JIT (LLVM alone is 100 MB): PostgreSQL runs without it when missing.
	rm -rf "$root"/usr/lib/postgresql/15/lib/{llvmjit.so,llvmjit_types.bc,bitcode} \
		"$root"/usr/share/postgresql/15/man "$root"/usr/share/zoneinfo/right
	copy_libs "$root" "$root/bin/sh" "$root$pg_bin"/* "$root"/usr/lib/postgresql/15/lib/*.so
	cp "$2" "$root/usr/local/bin/mastolab"
	printf 'root:x:0:0:root:/root:/sbin/nologin\npostgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/sbin/nologin\n' >"$root/etc/passwd"
	printf 'root:x:0:\npostgres:x:999:\n' >"$root/etc/group"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
	cp lab/pgimage/Dockerfile "$1/"
}

if ! docker version >/dev/null 2>&1; then
	echo "lab: the Docker daemon is not reachable (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock})" >&2
	exit 1
fi
if [ ! -x "$pg_bin/postgres" ]; then
	echo "lab: $pg_bin/postgres is missing: install postgresql-15 (scripts/test-setup.sh does)" >&2
	exit 1
fi
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
	echo "lab: redis-server or redis-cli is missing: install redis-server (scripts/test-setup.sh does)" >&2
	exit 1
fi

hash=$(source_hash)
pghash=$(pg_hash)
build_mastodon=0
for tag in "${versions[@]/#/$repo:v}" "${extra_tags[@]}"; do
	[ "$(image_hash "$tag")" = "$hash" ] || build_mastodon=1
done
build_pg=0
[ "$(image_hash "$pg_tag")" = "$pghash" ] || build_pg=1
redishash=$(redis_hash)
build_redis=0
[ "$(image_hash "$redis_tag")" = "$redishash" ] || build_redis=1
if [ "$build_mastodon$build_pg$build_redis" = 000 ]; then
	echo "lab: images up to date ($hash, postgres $pghash, redis $redishash)"
	exit 0
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$ctx/mastolab" ./lab/mastolab
if [ "$build_mastodon" = 1 ]; then
	# A context per version, with the version's assets (lab/image/stage.sh).
	for v in "${versions[@]}"; do
		bash lab/image/stage.sh "$v" "$ctx/mastolab" "$ctx/mastodon-$v"
		build "$repo:v$v" "$ctx/mastodon-$v" --build-arg "VERSION=$v" \
			--label "tootops.lab.hash=$hash" --label "org.opencontainers.image.version=v$v"
	done
	for tag in "${extra_tags[@]}"; do
		docker tag "$repo:v${versions[0]}" "$tag"
	done
fi
if [ "$build_pg" = 1 ]; then
	stage_postgres "$ctx/postgres" "$ctx/mastolab"
	build "$pg_tag" "$ctx/postgres" --label "tootops.lab.hash=$pghash" \
		--label "org.opencontainers.image.version=$("$pg_bin/postgres" --version | awk '{print $3}')"
fi
if [ "$build_redis" = 1 ]; then
	stage_redis "$ctx/redis"
	build "$redis_tag" "$ctx/redis" --label "tootops.lab.hash=$redishash" \
		--label "org.opencontainers.image.version=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
fi
# Dangling images of earlier builds of the lab.
docker image prune -f --filter label=tootops.test=1 >/dev/null
echo "lab: images built ($hash, postgres $pghash, redis $redishash)"
