#!/usr/bin/env bash
# Builds the lab's Docker images from lab/mastolab and lab/image, without any registry:
# a static Go binary copied into a FROM scratch image, tagged for two Mastodon versions and
# as the db and redis stand-ins. Idempotent and quick when up to date: the images carry the
# hash of their sources (label tootops.lab.hash), and a matching hash skips the build.
# lab/lab.go computes the same hash, so tests can tell stale images from fresh ones.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with lab.Images and lab.SourceHash.
versions=(4.5.0 4.5.1)
repo=tootops-lab/mastodon
extra_tags=("tootops-lab/postgres:14-lab" "tootops-lab/redis:7-lab")

source_hash() {
	local f
	while IFS= read -r f; do
		printf '%s\n' "$f"
		cat "$f"
	done < <(find lab/mastolab lab/image -type f | LC_ALL=C sort) | sha256sum | cut -c1-16
}

if ! docker version >/dev/null 2>&1; then
	echo "lab: the Docker daemon is not reachable (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock})" >&2
	exit 1
fi

hash=$(source_hash)
uptodate=1
for tag in "${versions[@]/#/$repo:v}" "${extra_tags[@]}"; do
	have=$(docker image inspect -f '{{index .Config.Labels "tootops.lab.hash"}}' "$tag" 2>/dev/null || true)
	[ "$have" = "$hash" ] || uptodate=0
done
if [ "$uptodate" = 1 ]; then
	echo "lab: images up to date ($hash)"
	exit 0
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp -r lab/image/. "$ctx/"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$ctx/mastolab" ./lab/mastolab
for v in "${versions[@]}"; do
	echo "lab: building $repo:v$v"
	# The legacy builder needs nothing beyond the daemon (no buildx); its deprecation
	# notice is noise, so the output shows only when the build fails.
	if ! out=$(DOCKER_BUILDKIT=0 docker build -q --build-arg "VERSION=$v" \
		--label "tootops.lab.hash=$hash" --label "tootops.test=1" \
		--label "org.opencontainers.image.version=v$v" \
		-t "$repo:v$v" "$ctx" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
done
for tag in "${extra_tags[@]}"; do
	docker tag "$repo:v${versions[0]}" "$tag"
done
# Dangling images of earlier builds of the lab.
docker image prune -f --filter label=tootops.test=1 >/dev/null
echo "lab: images built ($hash)"
