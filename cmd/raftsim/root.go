package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/sim"
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
	addGlobalFlags(root, g)
	addCompletions(root)
	return root, g
}

// globalFlags names the shared flags each command takes, by command path
// below the root: a command is offered only the flags it acts on.
var globalFlags = map[string][]string{
	"run":        {"json", "trace", "verbose"},
	"replay":     {"json", "trace", "verbose"},
	"fuzz":       {"json", "verbose"},
	"fuzz merge": {"json"},
	"list":       {"json"},
	"check":      {"json"},
	"report":     {"json"},
	"version":    {"json"},
	"selftest":   {"json"},
}

// addGlobalFlags gives each command of the tree the shared flags
// globalFlags lists for it.
func addGlobalFlags(root *cobra.Command, g *globals) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		for _, name := range globalFlags[path] {
			switch name {
			case "json":
				c.Flags().BoolVar(&g.json, "json", false, "print a machine-readable JSON summary on stdout (see schema/ for its JSON Schema)")
			case "trace":
				c.Flags().StringVar(&g.trace, "trace", "", "write the run's canonical trace to `FILE` as JSON lines (- for standard output)")
			case "verbose":
				c.Flags().BoolVarP(&g.verbose, "verbose", "v", false, "say more")
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
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
	strictCompletion(root)
	err := root.Execute()
	if err != nil && !errors.Is(err, errFailed) {
		fmt.Fprintf(stderr, "raftsim: %v\n", err)
	}
	return exitCode(err)
}

// openTrace opens the --trace file, if one was asked for: "-" is the
// command's standard output, and the summary then goes to standard error
// (summary is where to print it). The caller closes the returned closer.
func (g *globals) openTrace(cmd *cobra.Command) (trace io.Writer, summary io.Writer, closer io.Closer, err error) {
	summary = cmd.OutOrStdout()
	switch g.trace {
	case "":
		return nil, summary, noClose{}, nil
	case "-":
		if g.json {
			return nil, nil, nil, usageErrorf("--trace - and --json both write to standard output; give --trace a FILE")
		}
		return cmd.OutOrStdout(), cmd.ErrOrStderr(), noClose{}, nil
	}
	f, err := os.Create(g.trace)
	if err != nil {
		return nil, nil, nil, usageErrorf("--trace: %v", err)
	}
	return f, summary, f, nil
}

// outputError reports, as an I/O error (exit status 2, no reproducer:
// nothing is known about Raft from it), a run output that could not be
// written: the --trace file (a write during the run, or its close) or the
// --html visualization.
func outputError(res *sim.Result, trace io.Closer) error {
	err := res.WriteErr
	if cerr := trace.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("trace: %w", cerr))
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("writing the run's output: %w", err)
}

// noClose is the closer of a trace that is not a file of its own.
type noClose struct{}

func (noClose) Close() error { return nil }
