// Package packaging holds no code: its directory has the container image (Dockerfile,
// context.sh, Dockerfile.multistage), the Compose service snippet and the systemd unit,
// and its tests build the image and check all three. See README.md there.
package packaging
