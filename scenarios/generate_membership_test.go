package scenarios

import (
	"bytes"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/sim"
)

// Across seeds the generator draws every membership churn pattern, each
// on spare nodes it declares, in valid scenarios that round-trip through
// a file; a cluster with neither PreVote nor CheckQuorum never churns.
func TestGenerateDrawsMembershipChurn(t *testing.T) {
	patterns := map[string]int{}
	kinds := map[sim.ActionKind]int{}
	churned := 0
	for seed := uint64(1); seed <= 400; seed++ {
		s := Generate(seed, GenerateOptions{})
		cfg := s.Config
		if err := cfg.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if cfg.Voters == 0 {
			continue
		}
		churned++
		if cfg.Raft.DisablePreVote && cfg.Raft.DisableCheckQuorum {
			t.Fatalf("seed %d: churn with neither PreVote nor CheckQuorum", seed)
		}
		if cfg.Voters >= cfg.Nodes || cfg.Nodes > maxGeneratedNodes {
			t.Fatalf("seed %d: %d voters of %d nodes", seed, cfg.Voters, cfg.Nodes)
		}
		for _, p := range churnPatterns {
			if strings.Contains(s.Description, strings.ReplaceAll(p.name, "_", " ")) {
				patterns[p.name]++
			}
		}
		for _, a := range cfg.Timeline {
			if a.Kind.IsMembership() {
				kinds[a.Kind]++
				if a.At+a.Within > cfg.Duration {
					t.Fatalf("seed %d: %s at %v runs past the fault phase (%v)", seed, a.Kind, a.At+a.Within, cfg.Duration)
				}
			}
		}
		back, err := Parse("gen.toml", Encode(s))
		if err != nil {
			t.Fatalf("seed %d: the encoded scenario does not parse: %v", seed, err)
		}
		if !bytes.Equal(Encode(back), Encode(s)) {
			t.Fatalf("seed %d: the scenario changes through its file", seed)
		}
	}
	if churned < 40 || churned > 160 {
		t.Errorf("%d of 400 seeds churn, want about a fifth", churned)
	}
	for _, p := range churnPatterns {
		if patterns[p.name] == 0 {
			t.Errorf("no generated scenario draws %s", p.name)
		}
	}
	for _, k := range []sim.ActionKind{sim.ActAddVoter, sim.ActAddLearner, sim.ActPromote, sim.ActRemove, sim.ActReplace, sim.ActTransferLeader} {
		if kinds[k] == 0 {
			t.Errorf("no generated scenario uses %s", k)
		}
	}
}
