#!/usr/bin/env bash
# context.sh DIR: stages the build context of packaging/Dockerfile in DIR. Nothing is pulled
# and scratch has no shell, so every file of the image is made here, on the host:
#   Dockerfile                        packaging/Dockerfile
#   $BINARY                           the bot, a static linux binary built with -tags timetzdata
#                                     (default bin/bot-linux-amd64, relative to the repository;
#                                     staged at the same relative path, the Dockerfile's ARG BINARY)
#   rootfs/etc/passwd                 root, and tootops as 65532:65532 (no shell, no password)
#   rootfs/etc/group                  root, tootops (65532), and docker ($DOCKER_GID) with
#                                     tootops as a member: the image's supplementary group
#   rootfs/etc/nsswitch.conf          hosts: files dns, so /etc/hosts comes first
#   rootfs/etc/ssl/certs/ca-certificates.crt
#                                     the host's CA bundle, for HTTPS to Mastodon, S3 and GitHub
#   rootfs/etc/tootops/               where the config is mounted
#   rootfs/tmp/                       1777
#   state/                            empty: the state volume /var/lib/tootops, owned by 65532
# Environment: BINARY, DOCKER_GID (default 999: the gid that owns /var/run/docker.sock on the
# Docker host; `stat -c %g /var/run/docker.sock` tells), CA_BUNDLE (default the Debian path).
# `make image` runs it; so does packaging/packaging_test.go.
set -euo pipefail
dir=${1:?usage: context.sh DIR}
src=$(cd "$(dirname "$0")" && pwd)
binary=${BINARY:-bin/bot-linux-amd64}
gid=${DOCKER_GID:-999}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

case $gid in
'' | *[!0-9]*) echo "context.sh: DOCKER_GID must be a number, got \"$gid\"" >&2; exit 2 ;;
esac
if [ "$gid" = 0 ] || [ "$gid" = 65532 ]; then
	echo "context.sh: DOCKER_GID $gid is root's or tootops' own group; give the docker group's id" >&2
	exit 2
fi
case $binary in
/* | *..*) echo "context.sh: BINARY must be a path inside the repository, got \"$binary\"" >&2; exit 2 ;;
esac
if [ ! -f "$binary" ]; then
	echo "context.sh: $binary is missing: CGO_ENABLED=0 go build -trimpath -tags timetzdata -o $binary ./cmd/bot" >&2
	exit 1
fi
if [ ! -f "$ca" ]; then
	echo "context.sh: no CA bundle at $ca: install ca-certificates or set CA_BUNDLE" >&2
	exit 1
fi

root=$dir/rootfs
mkdir -p "$root/etc/ssl/certs" "$root/etc/tootops" "$root/tmp" "$dir/state" "$dir/$(dirname "$binary")"
chmod 1777 "$root/tmp"
chmod 0755 "$root/etc/tootops"
cp "$src/Dockerfile" "$dir/Dockerfile"
cp "$binary" "$dir/$binary"
chmod 0755 "$dir/$binary"
cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
chmod 0644 "$root/etc/ssl/certs/ca-certificates.crt"
printf '%s\n' \
	'root:x:0:0:root:/root:/sbin/nologin' \
	'tootops:x:65532:65532:tootops:/var/lib/tootops:/sbin/nologin' >"$root/etc/passwd"
printf '%s\n' \
	'root:x:0:' \
	'tootops:x:65532:' \
	"docker:x:$gid:tootops" >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
