package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Scenario is a named, described run: a simulator configuration, the seed
// it runs with unless told otherwise, and what the run must find.
type Scenario struct {
	// Name identifies the scenario: the built-in name, or the file's base
	// name unless the file sets one.
	Name        string
	Description string
	// Seed is the default seed.
	Seed uint64
	// Expect is what a run must find.
	Expect Expectation
	// Config is the run. Invariant: Config.Seed == Seed; Config.Validate()
	// holds for every scenario Parse returns.
	Config sim.Config
	// Reproducer is set for a file written for a failing run.
	Reproducer *Reproducer
}

// ConfigFor returns the run configuration with another seed. The timeline
// is copied, so the caller may change the result freely.
func (s *Scenario) ConfigFor(seed uint64) sim.Config {
	cfg := s.Config
	cfg.Seed = seed
	cfg.Timeline = slices.Clone(s.Config.Timeline)
	cfg.Checks = slices.Clone(s.Config.Checks)
	cfg.NetworkKinds = slices.Clone(s.Config.NetworkKinds)
	for i := range cfg.Checks {
		c := &cfg.Checks[i]
		c.Nodes, c.Names = slices.Clone(c.Nodes), slices.Clone(c.Names)
	}
	for i := range cfg.Timeline {
		a := &cfg.Timeline[i]
		a.Nodes, a.Names = slices.Clone(a.Nodes), slices.Clone(a.Names)
		a.Except, a.ExceptNames = slices.Clone(a.Except), slices.Clone(a.ExceptNames)
		a.MsgTypes = slices.Clone(a.MsgTypes)
		if a.Groups != nil {
			g := make([][]raft.NodeID, len(a.Groups))
			for j := range a.Groups {
				g[j] = slices.Clone(a.Groups[j])
			}
			a.Groups = g
		}
	}
	return cfg
}

// WithSeed returns a copy of s whose default seed is seed.
func (s *Scenario) WithSeed(seed uint64) *Scenario {
	c := *s
	c.Seed = seed
	c.Config = s.ConfigFor(seed)
	if s.Reproducer != nil {
		r := *s.Reproducer
		r.Failures = slices.Clone(r.Failures)
		c.Reproducer = &r
	}
	return &c
}

// Expectation is what a run of a scenario must find. Most scenarios must
// pass; a few demonstrate an unsafe setting and must fail in a named way.
type Expectation struct {
	// Failures, when not empty, lists failure names the run must find:
	// each is a sim.Failure's Name ("read-freshness") or its Kind
	// ("linearizability", "invariant", "liveness"). The run must find at
	// least one failure, and every failure it finds must match an entry.
	// Empty: the run must pass.
	Failures []string
}

// Pass reports whether the scenario must pass.
func (e Expectation) Pass() bool { return len(e.Failures) == 0 }

func (e Expectation) String() string {
	if e.Pass() {
		return "pass"
	}
	return "fail with " + strings.Join(e.Failures, " or ")
}

// matches reports whether failure f is one of the expected ones.
func (e Expectation) matches(f sim.Failure) bool {
	return slices.Contains(e.Failures, f.Name) || slices.Contains(e.Failures, f.Kind.String())
}

// Check returns nil if res meets the expectation, else an error that says
// how it does not.
func (e Expectation) Check(res *sim.Result) error {
	if e.Pass() {
		if res.Passed() {
			return nil
		}
		return fmt.Errorf("expected a pass, found %s", FailureList(res.Failures))
	}
	if res.Passed() {
		return fmt.Errorf("expected a failure (%s), but the run passed", strings.Join(e.Failures, " or "))
	}
	for _, f := range res.Failures {
		if !e.matches(f) {
			return fmt.Errorf("expected only %s, also found %s %s: %s", strings.Join(e.Failures, " or "), f.Kind, f.Name, f.Message)
		}
	}
	return nil
}

// FailureList names the failures as "kind/name, kind/name".
func FailureList(fs []sim.Failure) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = FailureID(f)
	}
	return strings.Join(names, ", ")
}

// FailureID names one failure as "kind/name", the form reproducers record.
func FailureID(f sim.Failure) string { return f.Kind.String() + "/" + f.Name }

// Reproducer records what a failing run found, so that replaying the file
// can confirm it finds the same.
type Reproducer struct {
	// Version is the raftsim version that wrote the file.
	Version string
	// TraceDigest is the digest of the failing run's trace.
	TraceDigest string
	// Failures lists the run's failures as FailureID gives them, in order.
	Failures []string
	// Planted names the planted Raft bug (raft/bugs) the run was made
	// with, if any: only a binary built with the raftbugs tag can replay
	// it, and it switches the bug on to do so.
	Planted string
}
