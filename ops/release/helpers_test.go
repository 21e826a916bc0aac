package release_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tootops/tootops/ops/release"
)

// patchBody is a routine patch release as upstream writes it.
func patchBody(tag, branch string) string {
	return fmt.Sprintf(`### Changelog

### Fixed

- Fix something (#1 by @someone)

### Upgrade notes

To get the code for %[1]s, use `+"`git fetch && git checkout %[1]s`"+`.

### Dependencies

External dependencies have not changed since %[2]s.

### Update steps

### When using Docker

1. Restart all Mastodon processes.
`, tag, branch)
}

const body440 = `## Upgrade overview

This release contains upgrade notes that deviate from the norm:

:warning: The minimum supported version for PostgreSQL has been bumped to 13\
:warning: The minimum supported version for Redis has been bumped to 6.2\
ℹ️ Requires database migrations

## Upgrade notes

### Dependencies

- PostgreSQL: 13 or newer
- Redis: 6.2 or newer

### When using Docker

1. Run the pre-deployment database migrations: ` + "`docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate`" + `
2. Restart all Mastodon processes
3. Run the post-deployment database migrations: ` + "`docker compose run --rm web bundle exec rails db:migrate`\n"

const body450 = `## Upgrade overview

This release contains upgrade notes that deviate from the norm:

:warning: The minimum supported version for PostgreSQL has been bumped to 14\
:warning: The minimum supported version for Redis has been bumped to 7.0\
ℹ️ Requires streaming server restart\
ℹ️ Requires database migrations

## Upgrade notes

### Dependencies

- Ruby: 3.2 or newer
- PostgreSQL: 14 or newer
- Redis: 7.0 or newer
- Node: 20.19 or newer
`

func testdataBody(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

var day0 = time.Date(2024, 10, 8, 14, 0, 0, 0, time.UTC)

// universe is a release history in the shape of the real one: four maintained
// branches, backports published after newer branches, a prerelease published last and
// a draft.
func universe() []release.Release {
	var rs []release.Release
	add := func(tag, body string, published time.Time) {
		rs = append(rs, release.Release{Version: v(tag), Tag: tag, Name: tag, Body: body,
			URL: "https://github.com/mastodon/mastodon/releases/tag/" + tag, Published: published})
	}
	for p := 13; p <= 17; p++ {
		tag := fmt.Sprintf("v4.2.%d", p)
		add(tag, patchBody(tag, "v4.2.0"), day0.AddDate(0, 0, -30+p))
	}
	add("v4.3.0", testdataBody("v4.3.0-release-notes-WRITTEN.md"), day0)
	for p := 1; p <= 17; p++ {
		tag := fmt.Sprintf("v4.3.%d", p)
		add(tag, patchBody(tag, "v4.3.0"), day0.AddDate(0, 0, 10*p))
	}
	add("v4.4.0", body440, day0.AddDate(0, 6, 0))
	for p := 1; p <= 9; p++ {
		tag := fmt.Sprintf("v4.4.%d", p)
		add(tag, patchBody(tag, "v4.4.0"), day0.AddDate(0, 6, 10*p))
	}
	add("v4.5.0", body450, day0.AddDate(1, 0, 0))
	for p := 1; p <= 20; p++ {
		tag := fmt.Sprintf("v4.5.%d", p)
		body := patchBody(tag, "v4.5.0")
		switch p {
		case 2:
			body = testdataBody("v4.5.2-linuxserver-release-body.md")
		case 11:
			body = testdataBody("v4.5.11-release-notes.md")
		}
		add(tag, body, day0.AddDate(1, 0, 7*p))
	}
	add("v4.6.0", testdataBody("v4.6.0-release-notes-WRITTEN.md"), day0.AddDate(1, 8, 0))
	add("v4.6.1", patchBody("v4.6.1", "v4.6.0"), day0.AddDate(1, 8, 2))
	add("v4.6.2", testdataBody("v4.6.2-release-notes.md"), day0.AddDate(1, 8, 9))
	for p := 3; p <= 5; p++ {
		tag := fmt.Sprintf("v4.6.%d", p)
		add(tag, patchBody(tag, "v4.6.0"), day0.AddDate(1, 8, 9+7*p))
	}
	add("v4.6.6", testdataBody("v4.6.6-release-notes.md"), day0.AddDate(1, 10, 0))
	add("v4.7.0", testdataBody("v4.7.0-release-notes-WRITTEN.md"), day0.AddDate(1, 10, 7))
	add("v4.7.1", testdataBody("v4.7.1-release-notes.md"), day0.AddDate(1, 10, 20))
	add("v4.7.2", testdataBody("v4.7.2-release-notes.md"), day0.AddDate(1, 11, 0))
	// The prerelease is the newest by date and by number.
	rs = append(rs, release.Release{Version: v("4.8.0-rc.1"), Tag: "v4.8.0-rc.1", Prerelease: true, Published: day0.AddDate(2, 0, 0)})
	// A draft: only listed with a token.
	rs = append(rs, release.Release{Version: v("4.8.0"), Tag: "v4.8.0", Draft: true})
	return rs
}

func find(rs []release.Release, tag string) release.Release {
	for _, r := range rs {
		if r.Tag == tag {
			return r
		}
	}
	panic("no release " + tag)
}

func tags(rs []release.Release) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Tag)
	}
	return out
}

func tagRange(minor string, from, to int) []string {
	var out []string
	for p := from; p <= to; p++ {
		out = append(out, fmt.Sprintf("v%s.%d", minor, p))
	}
	return out
}
