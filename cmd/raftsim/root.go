package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
)

// errFailed reports that a command found a failure (exit status 1). The
// command has printed what it found already.
var errFailed = errors.New("a failure was found")

// globals are the flags every command takes.
type globals struct {
	json    bool
	trace   string
	verbose bool
}

// newRootCmd builds the command tree. Commands return errors instead of
// exiting, so tests can run them; exitCode maps the error to a status.
func newRootCmd() (*cobra.Command, *globals) {
	g := &globals{}
	root := &cobra.Command{
		Use:   "raftsim",
		Short: "A Raft implementation and its deterministic simulation testbed",
		Long: `raftsim runs a Raft cluster in a deterministic simulator under faults
(partitions, message loss, crashes, pauses, clock drift) and checks that it
stays safe (online invariants, linearizability) and live (after healing).
A run is a pure function of its scenario and seed: replaying the same pair
gives the same trace, byte for byte.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("raftsim {{.Version}}\n")
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print a machine-readable JSON summary on stdout")
	root.PersistentFlags().StringVar(&g.trace, "trace", "", "write the run's canonical trace to `FILE` as JSON lines (run, replay)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "say more")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(
		newRunCmd(g), newReplayCmd(g), newFuzzCmd(g), newListCmd(g), newShowCmd(g),
		newCheckCmd(g), newVersionCmd(g), newServeCmd(g), newClusterCmd(g), newLiveCmd(g),
	)
	addReportCommand(root, g)
	for _, extra := range extraCommands {
		root.AddCommand(extra(g))
	}
	return root, g
}

// extraCommands are commands that only some builds have: selftest exists
// in binaries built with the raftbugs tag (see selftest.go).
var extraCommands []func(*globals) *cobra.Command

// usageError is bad input from the user: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps a command's error to the exit status: nil passes, errFailed
// found a failure, anything else is a usage or input error.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitPass
	case errors.Is(err, errFailed):
		return exitFail
	}
	return exitUsage
}

// execute runs the command line args and returns the exit status.
func execute(args []string, stdout, stderr io.Writer) int {
	root, _ := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err != nil && !errors.Is(err, errFailed) {
		fmt.Fprintf(stderr, "raftsim: %v\n", err)
	}
	return exitCode(err)
}

// openTrace opens the --trace file, if one was asked for.
func (g *globals) openTrace() (*os.File, error) {
	if g.trace == "" {
		return nil, nil
	}
	f, err := os.Create(g.trace)
	if err != nil {
		return nil, usageErrorf("--trace: %v", err)
	}
	return f, nil
}
