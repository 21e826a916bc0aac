package commands_test

import (
	"testing"

	"github.com/tootops/tootops/commands"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"restart sidekiq": "restart sidekiq",
		"run web -- tootctl accounts create --password hunter2 x": "run web -- tootctl accounts create --password ******** x",
		"run web -- env PGPASSWORD=hunter2 psql":                  "run web -- env PGPASSWORD=******** psql",
		`run web -- x --token="a b c" y`:                          `run web -- x --token=******** y`,
		"run web -- x --api-key abc":                              "run web -- x --api-key ********",
		"logs web --grep token":                                   "logs web --grep token",
	} {
		if got := commands.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
