package commands

// The answers to a confirmation question. Their grammar and help live here; what they do
// belongs to the bot's pipeline, which supplies run.

const confirmGroup = "jobs"

var codeArg = Arg{Name: "CODE", Help: "the code the question gave", Example: "K7Q2"}

// Yes returns the `yes [CODE]` command.
func Yes(run Handler) Command {
	arg := codeArg
	arg.Optional = true
	return Command{
		Name:    "yes",
		Aliases: []string{"y", "confirm"},
		Group:   confirmGroup,
		Summary: "go ahead with the command you sent last",
		Help:    "A command that changes something first answers with its plan and a code, and runs only when you answer yes within the confirmation window. Give the code when you have several questions open.",
		Args:    []Arg{arg},
		Inline:  true,
		Run:     run,
	}
}

// No returns the `no [CODE]` command.
func No(run Handler) Command {
	arg := codeArg
	arg.Optional = true
	return Command{
		Name:    "no",
		Aliases: []string{"n"},
		Group:   confirmGroup,
		Summary: "withdraw a command waiting for confirmation",
		Args:    []Arg{arg},
		Inline:  true,
		Run:     run,
	}
}

// Approve returns the `approve CODE` command.
func Approve(run Handler) Command {
	return Command{
		Name:    "approve",
		Group:   confirmGroup,
		Summary: "approve another admin's command that needs a second admin",
		Help:    "Commands listed in [confirm] second_admin run only when a different admin approves them with the code.",
		Args:    []Arg{codeArg},
		Inline:  true,
		Run:     run,
	}
}
