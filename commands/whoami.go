package commands

import (
	"context"
	"strings"
)

// Whoami returns the whoami command, which shows the sender as the bot sees them: account,
// account id when known, the transport the message came by, and whether they are an admin.
func Whoami() Command {
	return Command{
		Name:    "whoami",
		Group:   defaultGroup,
		Summary: "show who the bot thinks you are",
		Help: "Shows your account as the bot sees it, the transport your message came by, and " +
			"whether you are an admin. Useful when the bot refuses a command.",
		Inline: true,
		Run: func(_ context.Context, req *Request) (string, error) {
			var s Sender
			if req != nil {
				s = req.Sender
			}
			return whoamiText(s), nil
		},
	}
}

func whoamiText(s Sender) string {
	var lines []string
	who := "you are an unknown sender"
	if acct := clean(strings.TrimPrefix(s.Acct, "@"), 100); acct != "" {
		who = "you are @" + acct
	}
	if name := strings.TrimSpace(clean(s.DisplayName, 60)); name != "" {
		who += " (" + name + ")"
	}
	lines = append(lines, who)
	if s.AccountID != "" {
		lines = append(lines, "account id: "+clean(s.AccountID, 40))
	}
	if s.Via != "" {
		lines = append(lines, "via: "+clean(s.Via, 40))
	}
	if s.Admin {
		lines = append(lines, "admin: yes (listed in [admins] accounts)")
	} else {
		lines = append(lines, "admin: no")
	}
	return strings.Join(lines, "\n")
}
