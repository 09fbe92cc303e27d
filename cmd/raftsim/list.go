package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/scenarios"
)

type listEntry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Expect      string `json:"expect"`
	Nodes       int    `json:"nodes"`
	Seed        uint64 `json:"seed"`
	Actions     int    `json:"actions"`
	DurationMs  int64  `json:"duration_ms"`
}

func newListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var entries []listEntry
			for _, s := range scenarios.Builtins() {
				entries = append(entries, listEntry{
					Name: s.Name, Description: s.Description, Expect: s.Expect.String(), Nodes: s.Config.Nodes,
					Seed: s.Seed, Actions: len(s.Config.Timeline), DurationMs: (s.Config.Duration + s.Config.HealDuration).Milliseconds(),
				})
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), entries)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tEXPECT\tDESCRIPTION")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Expect, e.Description)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "\nRun one with 'raftsim run --scenario NAME'; copy one with 'raftsim show NAME > my.toml'.")
			return nil
		},
	}
}

func newShowCmd(g *globals) *cobra.Command {
	var canonical bool
	cmd := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a scenario file",
		Long: `Print a built-in scenario's file as shipped (comments included), ready to
copy and edit; or, with --canonical or for a FILE, the scenario with every
setting spelled out, as raftsim reads it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if src, ok := scenarios.BuiltinSource(args[0]); ok && !canonical {
				_, err := cmd.OutOrStdout().Write(src)
				return err
			}
			s, err := resolveScenario(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(scenarios.Encode(s))
			return err
		},
	}
	cmd.Flags().BoolVar(&canonical, "canonical", false, "spell out every setting, defaults included")
	_ = g
	return cmd
}
