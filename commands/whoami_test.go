package commands_test

import (
	"context"
	"testing"

	"github.com/tootops/tootops/commands"
)

func TestWhoami(t *testing.T) {
	for _, tt := range []struct {
		name   string
		sender commands.Sender
		want   string
	}{
		{
			"admin over mastodon",
			commands.Sender{Acct: "alice@social.example.coop", AccountID: "109384", DisplayName: "Alice 🌻", Admin: true, Via: "mastodon"},
			"you are @alice@social.example.coop (Alice 🌻)\naccount id: 109384\nvia: mastodon\nadmin: yes (listed in [admins] accounts)",
		},
		{
			"not an admin, acct with @",
			commands.Sender{Acct: "@bob@other.example", AccountID: "7", Via: "mastodon"},
			"you are @bob@other.example\naccount id: 7\nvia: mastodon\nadmin: no",
		},
		{
			"console without an account id",
			commands.Sender{Acct: "root@localhost", Admin: true, Via: "console"},
			"you are @root@localhost\nvia: console\nadmin: yes (listed in [admins] accounts)",
		},
		{
			"hostile display name",
			commands.Sender{Acct: "eve@evil.example", DisplayName: "Eve\u202e\n\x1b[31mroot", Via: "mastodon"},
			"you are @eve@evil.example (Eve [31mroot)\nvia: mastodon\nadmin: no",
		},
		{
			"nothing known",
			commands.Sender{},
			"you are an unknown sender\nadmin: no",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Whoami().Run(context.Background(), &commands.Request{Sender: tt.sender})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("whoami\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
