package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
)

// checkSummary is what `raftsim check --json` prints; schema/check.v1.json
// describes it.
type checkSummary struct {
	SchemaVersion int    `json:"schema_version"`
	File          string `json:"file"`
	Format        string `json:"format"`
	Result        string `json:"result"`
	Verdict       string `json:"verdict"`
	Ops           int    `json:"ops"`
	Keys          int    `json:"keys"`
	// Key is a key whose operations cannot be linearized, when illegal.
	Key  string `json:"key,omitempty"`
	HTML string `json:"html,omitempty"`
}

func newCheckCmd(g *globals) *cobra.Command {
	var format, html string
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Check a recorded history for linearizability",
		Long: `Check a client history for linearizability against the key-value model:
raftsim's own JSON lines (written by 'raftsim run --history FILE'),
porcupine's key-value logs, Jepsen's history.edn (the register and
key-value workloads: :invoke/:ok/:fail/:info of :read, :write and :cas),
or the older Jepsen etcd log; the format is detected from the content
unless --format names it.

Exit status: 0 linearizable; 1 not linearizable, or undecided within the
budget (never taken for a pass); 2 for a bad file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checker.ParseFormat(format)
			if err != nil {
				return usageErrorf("--format: %v", err)
			}
			if budget <= 0 {
				return usageErrorf("--budget: %v must be positive", budget)
			}
			// Checked as it is read: the memory follows the operations
			// in flight, not the length of the file.
			fc, err := checker.CheckFile(args[0], f, checker.LinearizabilityOptions{Budget: budget})
			if err != nil {
				return err
			}
			res := fc.Linearizability
			sum := checkSummary{SchemaVersion: schemaVersion, File: args[0], Format: fc.Format.String(), Verdict: res.Verdict.String(), Ops: res.Ops, Keys: res.Keys, Result: "pass"}
			if res.Verdict != checker.VerdictOK {
				sum.Result = "fail"
			}
			if res.Verdict == checker.VerdictIllegal && res.Located {
				sum.Key = res.Key
				if html != "" {
					if err := res.WriteVisualization(html, nil); err != nil {
						return fmt.Errorf("--html: %w", err)
					}
					sum.HTML = html
				}
			}
			if g.json {
				if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "%s: %s\n", args[0], res)
				switch res.Verdict {
				case checker.VerdictOK:
					fmt.Fprintln(w, "linearizable")
				case checker.VerdictIllegal:
					fmt.Fprintln(w, "NOT linearizable")
				default:
					fmt.Fprintf(w, "undecided within %v: not a pass (try a larger --budget)\n", budget)
				}
				if sum.HTML != "" {
					fmt.Fprintf(w, "visualization: %s\n", sum.HTML)
				}
			}
			if sum.Result != "pass" {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "auto", "history format: "+strings.Join(checker.FormatNames(), ", "))
	cmd.Flags().StringVar(&html, "html", "", "when not linearizable, write porcupine's visualization to `FILE`")
	cmd.Flags().DurationVar(&budget, "budget", checker.DefaultLinearizabilityBudget, "wall-clock budget of the check")
	return cmd
}
