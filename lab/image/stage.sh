#!/usr/bin/env bash
# stage.sh VERSION MASTOLAB DIR: makes the build context of one lab version in DIR
# (lab/build.sh runs it per version; lab/image is hashed, this script with it):
#   Dockerfile
#   bin/mastolab, and tootctl, rails, bundle, psql and redis-cli as links to it
#                                        (`docker exec web tootctl`, the version probes)
#   pgdata/                              empty: the db stand-in's data directory
#   public/                              lab/image/public, plus the version's assets, so that
#                                        a test can tell which version's were copied:
#     packs/manifest.json                {"version", "application.js", "application.css"}
#     packs/js/application-HASH.js       the pack the HTML of web refers to
#     packs/css/application-HASH.css
#     assets/mastodon-HASH.css           a Sprockets-era digest asset
#     sw.js                              the service worker (never long-cached upstream)
#     system/                            the media volume, never to be copied (as is)
# HASH is the first 16 hex digits of the SHA-256 of VERSION (lab.PackHash).
set -euo pipefail
v=$1 bin=$2 dir=$3
src=$(dirname "$0")
mkdir -p "$dir/bin" "$dir/pgdata"
cp "$src/Dockerfile" "$dir/"
cp -r "$src/public" "$dir/"
cp "$bin" "$dir/bin/mastolab"
for l in tootctl rails bundle psql redis-cli; do
	ln -s mastolab "$dir/bin/$l"
done
p=$dir/public
h=$(printf %s "$v" | sha256sum | cut -c1-16)
mkdir -p "$p/packs/js" "$p/packs/css" "$p/assets"
printf '{\n  "version": "%s",\n  "application.js": "/packs/js/application-%s.js",\n  "application.css": "/packs/css/application-%s.css"\n}\n' "$v" "$h" "$h" >"$p/packs/manifest.json"
printf '// Mastodon lab %s\nconsole.log("mastodon lab %s");\n' "$v" "$v" >"$p/packs/js/application-$h.js"
printf '/* Mastodon lab %s */\nbody { color: #282c37; }\n' "$v" >"$p/packs/css/application-$h.css"
printf '/* Mastodon lab %s */\n' "$v" >"$p/assets/mastodon-$h.css"
printf '// service worker of Mastodon lab %s\nself.addEventListener("fetch", () => {});\n' "$v" >"$p/sw.js"
