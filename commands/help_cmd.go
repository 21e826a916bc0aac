package commands

import (
	"context"
	"strings"
)

// Help returns the help command: `help` lists the commands of r, `help COMMAND…` explains one
// (`help backup status`, in any case, by name or alias), and `help GROUP` lists a group. An
// unknown topic gets the same *UsageError as an unknown command, did-you-mean included.
func Help(r *Registry) Command {
	return Command{
		Name:    "help",
		Group:   defaultGroup,
		Summary: "list the commands, or explain one",
		Help: "Without a topic, lists every command with a one-line summary. With a command " +
			"name (several words are fine: help backup status), shows its usage, arguments, " +
			"flags and aliases. With a group name (help backups), lists that group.",
		Args:   []Arg{{Name: "COMMAND", Help: "a command or group name", Optional: true, Rest: true}},
		Inline: true,
		Run: func(_ context.Context, req *Request) (string, error) {
			var topic []string
			if req != nil && req.Inv != nil {
				topic = req.Inv.Rest()
			}
			return helpTopic(r, topic)
		},
	}
}

func helpTopic(r *Registry, topic []string) (string, error) {
	if len(topic) == 0 {
		return HelpText(r), nil
	}
	if c, ok := r.Lookup(strings.Join(topic, " ")); ok {
		return CommandHelp(c), nil
	}
	if c, n := r.match(plainTokens(strings.Join(topic, " "))); c != nil {
		// "help backup stauts": a typo of a longer name; "help restart web": restart.
		if s := r.longer(c, topic[n]); s != "" {
			return "", &UsageError{Msg: "unknown command " + echo(strings.Join(topic[:n+1], " ")), Suggestion: s}
		}
		return CommandHelp(c), nil
	}
	if len(topic) == 1 {
		for _, g := range groups(r) {
			if strings.EqualFold(g.name, topic[0]) {
				return groupHelp(g), nil
			}
		}
	}
	return "", r.unknown(topic)
}

func groupHelp(g group) string {
	var b strings.Builder
	writeGroup(&b, g)
	b.WriteString("\n")
	b.WriteString(helpHint)
	return b.String()
}
