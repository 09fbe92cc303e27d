package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/scenarios"
)

// addCompletions teaches shell completion the values raftsim knows: the
// built-in scenario names (beside file names) for --scenario and for
// show's argument, and the history formats for --format. Planted bug
// names are added by selftest, in the builds that have it.
func addCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("scenario") != nil {
			_ = c.RegisterFlagCompletionFunc("scenario", completeScenario)
		}
		if c.Flags().Lookup("format") != nil {
			_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(checker.FormatNames()))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, c := range root.Commands() {
		if c.Name() == "show" {
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return completeScenario(cmd, args, toComplete)
			}
		}
	}
}

// completeScenario offers the built-in scenarios whose names start with
// what was typed, and lets the shell offer files too.
func completeScenario(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, s := range scenarios.Builtins() {
		if strings.HasPrefix(s.Name, toComplete) {
			out = append(out, s.Name+"\t"+s.Description)
		}
	}
	return out, cobra.ShellCompDirectiveDefault
}

// fixedCompletion offers a fixed list of values and no file names.
func fixedCompletion(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// strictCompletion makes cobra's completion command refuse a missing or
// unknown shell: by default it prints its help and succeeds, and a script
// that pipes it somewhere then installs nothing without noticing. Cobra
// binds the command's output when it creates it, so this runs once the
// root's output is set.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			shells := make([]string, 0, len(cmd.Commands()))
			for _, sub := range cmd.Commands() {
				shells = append(shells, sub.Name())
			}
			if len(args) == 0 {
				return usageErrorf("completion: name a shell: %s", strings.Join(shells, ", "))
			}
			return usageErrorf("completion: unknown shell %q: use one of %s", args[0], strings.Join(shells, ", "))
		}
	}
}
