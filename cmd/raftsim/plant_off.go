//go:build !raftbugs

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// In a normal build, selftest exists only to say how to get the real one.
func init() {
	extraCommands = append(extraCommands, func(*globals) *cobra.Command {
		return &cobra.Command{
			Use:                "selftest",
			Short:              "The planted-bug campaign (needs a build with -tags raftbugs: make selftest)",
			DisableFlagParsing: true,
			RunE: func(*cobra.Command, []string) error {
				return usageErrorf("selftest needs a raftsim built with the planted bugs, which normal builds leave out: " +
					"run 'make selftest', or build one with 'go build -tags raftbugs -o bin/raftsim-selftest ./cmd/raftsim' " +
					"and run 'bin/raftsim-selftest selftest'")
			},
		}
	})
}

// plantedBug names the planted Raft bug switched on: none, in a normal
// build.
func plantedBug() string { return "" }

// plantBug switches a planted Raft bug on for a replay: impossible in a
// normal build, which carries none.
func plantBug(name string) (func(), error) {
	return nil, fmt.Errorf("the run had the Raft bug %q planted, and only a raftsim built with -tags raftbugs carries planted bugs (make selftest builds one)", name)
}
