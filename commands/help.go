package commands

import (
	"fmt"
	"strings"
)

const (
	helpIntro = "Send me one command per message: the command is the first non-empty line " +
		"of the message, after the mentions. Put words that contain spaces in quotes."
	helpConfirm = "Commands that change something ask for confirmation first: " +
		"add --dry-run to see the plan, --yes to skip the question."
	helpHint = "help COMMAND for details"
)

// HelpText returns the list of commands for the help command: an intro, then the commands
// grouped, one line each ("usage — summary", without the --dry-run and --yes every
// state-changing command has), then a hint to ask for one command's help.
func HelpText(r *Registry) string {
	var b strings.Builder
	b.WriteString(helpIntro)
	b.WriteString("\n")
	changes := false
	for _, g := range groups(r) {
		b.WriteString("\n")
		writeGroup(&b, g)
		for _, c := range g.cmds {
			changes = changes || c.Changes
		}
	}
	b.WriteString("\n")
	if changes {
		b.WriteString(helpConfirm)
		b.WriteString("\n")
	}
	b.WriteString(helpHint)
	return b.String()
}

// writeGroup writes a group's heading and a line per command: usage — summary.
func writeGroup(b *strings.Builder, g group) {
	b.WriteString(g.name)
	b.WriteString(":\n")
	for _, c := range g.cmds {
		b.WriteString("  ")
		b.WriteString(c.usage(false))
		if c.Summary != "" {
			b.WriteString(" — ")
			b.WriteString(c.Summary)
		}
		b.WriteString("\n")
	}
}

// CommandHelp returns the help of one command: usage, summary, long help, args, flags with
// their defaults, aliases, and for a command that changes state, how confirmation works.
func CommandHelp(c *Command) string {
	var sections []string
	head := "usage: " + c.Usage()
	if c.Summary != "" {
		head += "\n" + c.Summary
	}
	sections = append(sections, head)
	if h := strings.TrimSpace(c.Help); h != "" {
		sections = append(sections, h)
	}
	var lists []string
	if len(c.Args) > 0 {
		lines := []string{"arguments:"}
		for _, a := range c.Args {
			lines = append(lines, "  "+a.Name+describe(a.Help, argDetails(a)))
		}
		lists = append(lists, strings.Join(lines, "\n"))
	}
	if len(c.Flags) > 0 {
		lines := []string{"flags:"}
		for _, f := range c.Flags {
			lines = append(lines, "  "+flagUsage(f)+describe(f.Help, flagDetails(f)))
		}
		lists = append(lists, strings.Join(lines, "\n"))
	}
	if len(c.Aliases) > 0 {
		lists = append(lists, "aliases: "+strings.Join(c.Aliases, ", "))
	}
	if len(lists) > 0 {
		sections = append(sections, strings.Join(lists, "\n"))
	}
	if c.Changes {
		sections = append(sections, "This command changes things: it shows its plan and asks for "+
			"confirmation before it runs. --dry-run shows the plan only; --yes skips the question.")
	}
	return strings.Join(sections, "\n\n")
}

// describe joins a help text and its details: " — the service (optional, e.g. web)".
func describe(help string, details []string) string {
	s := strings.TrimSpace(help)
	if len(details) > 0 {
		if s != "" {
			s += " "
		}
		s += "(" + strings.Join(details, ", ") + ")"
	}
	if s == "" {
		return ""
	}
	return " — " + s
}

func argDetails(a Arg) []string {
	var d []string
	if a.Optional {
		d = append(d, "optional")
	}
	if a.Kind == Int || a.Kind == KeyValue {
		lo := a.Min
		if a.Kind == KeyValue {
			lo = max(lo, 0)
		}
		switch {
		case a.Max != 0:
			d = append(d, fmt.Sprintf("%d to %d", lo, a.Max))
		case lo != 0:
			d = append(d, fmt.Sprintf("at least %d", lo))
		}
	}
	if a.Kind == Duration && a.Example == "" {
		d = append(d, "a duration such as 10m or 2h")
	}
	if a.Example != "" {
		d = append(d, "e.g. "+a.Example)
	}
	return d
}

func flagDetails(f Flag) []string {
	if f.Default == "" {
		return nil
	}
	return []string{"default " + f.Default}
}

type group struct {
	name string
	cmds []*Command
}

// groups returns the registry's commands by group, both sorted.
func groups(r *Registry) []group {
	var out []group
	for _, c := range r.Commands() {
		if len(out) == 0 || out[len(out)-1].name != c.Group {
			out = append(out, group{name: c.Group})
		}
		out[len(out)-1].cmds = append(out[len(out)-1].cmds, c)
	}
	return out
}

// Markdown returns the commands reference for docs/commands.md: a title, an intro, and a
// section per group with each command's usage, summary, help, args and flags. The output
// depends only on the registry, so a test can keep the file up to date.
func Markdown(r *Registry) string {
	var b strings.Builder
	b.WriteString("# Commands\n\n")
	b.WriteString("<!-- Generated from the command registry (commands.Markdown); do not edit by hand. -->\n\n")
	b.WriteString("Admins send these commands to the bot account in a direct message. " +
		"The command is the first non-empty line of the message, after the mentions; " +
		"command words are case-insensitive. Words are separated by spaces; put a word that " +
		"contains spaces in quotes (`'…'`, `\"…\"` or the curly quotes phones insert), or put a " +
		"backslash before a space or quote. A phone's `—` at the start of a word counts as `--`. " +
		"Flags may appear anywhere after the command name, as `--flag value` or `--flag=value`; " +
		"`--` ends the flags. Commands that change something show their plan and ask for " +
		"confirmation before they run: add `--dry-run` to see only the plan, `--yes` to skip " +
		"the question. Any command followed by `--help` shows its help.\n")
	for _, g := range groups(r) {
		fmt.Fprintf(&b, "\n## %s\n", g.name)
		for _, c := range g.cmds {
			fmt.Fprintf(&b, "\n### %s\n\n", c.Name)
			fmt.Fprintf(&b, "`%s`\n", c.Usage())
			if c.Summary != "" {
				fmt.Fprintf(&b, "\n%s\n", c.Summary)
			}
			if h := strings.TrimSpace(c.Help); h != "" {
				fmt.Fprintf(&b, "\n%s\n", h)
			}
			if len(c.Args) > 0 {
				b.WriteString("\nArguments:\n\n")
				for _, a := range c.Args {
					fmt.Fprintf(&b, "- `%s`%s\n", a.Name, describe(a.Help, argDetails(a)))
				}
			}
			if len(c.Flags) > 0 {
				b.WriteString("\nFlags:\n\n")
				for _, f := range c.Flags {
					fmt.Fprintf(&b, "- `%s`%s\n", flagUsage(f), describeMD(f))
				}
			}
			if len(c.Aliases) > 0 {
				quoted := make([]string, len(c.Aliases))
				for i, a := range c.Aliases {
					quoted[i] = "`" + a + "`"
				}
				fmt.Fprintf(&b, "\nAliases: %s.\n", strings.Join(quoted, ", "))
			}
			if c.Changes {
				b.WriteString("\nChanges state: asks for confirmation before it runs; `--dry-run` shows the plan.\n")
			}
		}
	}
	return b.String()
}

func describeMD(f Flag) string {
	var details []string
	if f.Default != "" {
		details = append(details, "default "+mdCode(f.Default))
	}
	return describe(f.Help, details)
}

// mdCode puts s in a code span, with enough backticks around it.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
