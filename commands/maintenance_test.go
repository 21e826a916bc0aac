package commands_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/ops/maintenance"
)

func TestMaintenanceCommands(t *testing.T) {
	flag := maintenance.Flag{Path: filepath.Join(t.TempDir(), "ON")}
	reg := commands.NewRegistry()
	if err := reg.Add(commands.MaintenanceCommands(flag, func() time.Time { return time.Now().Add(90 * time.Second) })...); err != nil {
		t.Fatal(err)
	}
	run := func(line string) string {
		t.Helper()
		inv, err := reg.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Command.Plan != nil {
			if _, err := inv.Command.Plan(context.Background(), inv); err != nil {
				t.Fatal(err)
			}
		}
		out, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv, Sender: commands.Sender{Acct: "alice@social.example.coop"}})
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return out
	}
	for _, step := range []struct{ line, want string }{
		{"maintenance status", "maintenance is off"},
		{"maintenance on database repair", "maintenance is ON: visitors get the maintenance page; send `maintenance off` to end it"},
		{"maintenance on", "maintenance was already on"},
		{"maintenance status", "maintenance is ON for 1m30s (maintenance since "},
		{"maintenance off", "maintenance is OFF: the site is back for visitors"},
		{"maintenance off", "maintenance was already off"},
	} {
		if got := run(step.line); !strings.HasPrefix(got, step.want) {
			t.Errorf("%s = %q, want %q…", step.line, got, step.want)
		}
	}
}
