package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
)

// runHelp prints the binary's usage, a chat command's help, or the Markdown reference.
func runHelp(_ context.Context, e *env) error {
	if !e.markdown && len(e.args) == 0 {
		_, err := fmt.Fprintln(e.stdout, usageText)
		return err
	}
	cmds, err := opsCommands(nil, nil, nil, zerolog.Nop())
	if err != nil {
		return err
	}
	reg, err := bot.Registry(bot.Info{Version: versionString(), Started: time.Now()}, cmds)
	if err != nil {
		return err
	}
	if e.markdown {
		_, err := fmt.Fprint(e.stdout, commands.Markdown(reg))
		return err
	}
	inv, err := reg.Parse("help " + commands.Quote(e.args...))
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	text, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	_, err = fmt.Fprintln(e.stdout, strings.TrimRight(text, "\n"))
	return err
}
