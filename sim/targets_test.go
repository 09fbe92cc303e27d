package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// idle is a run with no clients: enough to watch who leads and what
// actions hit, at a fraction of the cost.
func idle(seed uint64) Config {
	cfg := quick(seed)
	cfg.Workload.Clients = 0
	return cfg
}

// leaderBefore names the node that led (highest term) just before t.
func leaderBefore(res *Result, nodes int, t time.Duration) raft.NodeID {
	role := make([]raft.Role, nodes+1)
	term := make([]raft.Term, nodes+1)
	for _, rc := range res.Roles {
		if rc.Time.Duration() >= t {
			break
		}
		role[rc.Node], term[rc.Node] = rc.Role, rc.Term
	}
	best := raft.None
	for id := 1; id <= nodes; id++ {
		if role[id] == raft.RoleLeader && (best == raft.None || term[id] > term[best]) {
			best = raft.NodeID(id)
		}
	}
	return best
}

// actionLines returns the trace texts of timeline actions, in order.
func actionLines(lines []line) []string {
	var out []string
	for _, l := range lines {
		if l.Ev == "action" {
			out = append(out, l.Text)
		}
	}
	return out
}

// crashedAt lists the nodes the trace shows crashing at t.
func crashedAt(lines []line, t time.Duration) []raft.NodeID {
	var out []raft.NodeID
	for _, l := range lines {
		if l.Ev == "crash" && l.T == int64(t) {
			out = append(out, raft.NodeID(l.Node))
		}
	}
	slices.Sort(out)
	return out
}

// Each selector picks what it says, from nodes the action can act on.
func TestSelectorsPickTheirTargets(t *testing.T) {
	const at = time.Second
	tests := []struct {
		name  string
		a     Action
		check func(t *testing.T, leader raft.NodeID, hit []raft.NodeID)
	}{
		{"follower is one node other than the leader", Action{Kind: ActCrash, Follower: true},
			func(t *testing.T, leader raft.NodeID, hit []raft.NodeID) {
				if len(hit) != 1 || hit[0] == leader {
					t.Errorf("leader %d: crashed %v, want one other node", leader, hit)
				}
			}},
		{"random picks distinct nodes, the leader as any other", Action{Kind: ActCrash, Random: 2},
			func(t *testing.T, leader raft.NodeID, hit []raft.NodeID) {
				if len(hit) != 2 || hit[0] == hit[1] {
					t.Errorf("leader %d: crashed %v, want two nodes", leader, hit)
				}
			}},
		{"except keeps a node out of the draw", Action{Kind: ActCrash, Random: 3, Except: []raft.NodeID{1, 2}},
			func(t *testing.T, leader raft.NodeID, hit []raft.NodeID) {
				if len(hit) != 3 || slices.Contains(hit, 1) || slices.Contains(hit, 2) {
					t.Errorf("crashed %v, want three of 3, 4 and 5", hit)
				}
			}},
		{"leader_and is the leader and k others", Action{Kind: ActCrash, LeaderAnd: 2},
			func(t *testing.T, leader raft.NodeID, hit []raft.NodeID) {
				if len(hit) != 3 || !slices.Contains(hit, leader) {
					t.Errorf("leader %d: crashed %v, want it and two others", leader, hit)
				}
			}},
		{"except_leader is everyone else", Action{Kind: ActCrash, ExceptLeader: true},
			func(t *testing.T, leader raft.NodeID, hit []raft.NodeID) {
				if len(hit) != 4 || slices.Contains(hit, leader) {
					t.Errorf("leader %d: crashed %v, want the four others", leader, hit)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			picks := map[string]bool{}
			for seed := uint64(1); seed <= 6; seed++ {
				cfg := idle(seed)
				a := tc.a
				a.At = at
				cfg.Timeline = []Action{a}
				res, lines := traced(t, cfg)
				requirePass(t, res)
				leader := leaderBefore(res, cfg.Nodes, at)
				if leader == raft.None {
					t.Fatalf("seed %d: no leader before %v", seed, at)
				}
				hit := crashedAt(lines, at)
				tc.check(t, leader, hit)
				if res.Stats.MissingTargets != 0 {
					t.Errorf("seed %d: %d missing targets", seed, res.Stats.MissingTargets)
				}
				picks[idList(hit)] = true
			}
			if (tc.a.Follower || tc.a.Random > 0 && len(tc.a.Except) == 0 || tc.a.LeaderAnd > 0) && len(picks) < 2 {
				t.Errorf("six seeds all picked %v: the draw does not depend on the seed", picks)
			}
		})
	}
}

// A random pick draws only nodes the action can act on: a restart draws
// a crashed node, never a running one.
func TestRandomDrawsEligibleNodes(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := idle(seed)
		cfg.Timeline = []Action{
			{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{2, 4}},
			{At: 1500 * time.Millisecond, Kind: ActRestart, Random: 1},
		}
		res, lines := traced(t, cfg)
		requirePass(t, res)
		var restarted []raft.NodeID
		for _, l := range lines {
			if l.Ev == "restart" && l.T == int64(1500*time.Millisecond) {
				restarted = append(restarted, raft.NodeID(l.Node))
			}
		}
		if len(restarted) != 1 || (restarted[0] != 2 && restarted[0] != 4) {
			t.Errorf("seed %d: restarted %v, want one of 2 and 4", seed, restarted)
		}
	}
}

// A name bound by as stands for the same node later, whoever leads then.
func TestNamesRefindTheSameNode(t *testing.T) {
	cfg := idle(3)
	cfg.Timeline = []Action{
		{At: time.Second, Kind: ActPause, Leader: true, As: "old"},
		{At: 1800 * time.Millisecond, Kind: ActResume, Names: []string{"old"}},
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	old := leaderBefore(res, cfg.Nodes, time.Second)
	acts := actionLines(lines)
	want := []string{"pause " + idList([]raft.NodeID{old}), "resume " + idList([]raft.NodeID{old})}
	if !slices.Equal(acts, want) {
		t.Fatalf("actions %q, want %q", acts, want)
	}
	if leaderBefore(res, cfg.Nodes, 1800*time.Millisecond) == old {
		t.Fatalf("node %d still led after 800ms paused", old)
	}
}

// An action whose target does not exist is counted and traced; with
// Require it fails the run, naming the action.
func TestMissingTargetIsReported(t *testing.T) {
	for _, require := range []bool{false, true} {
		cfg := idle(1)
		// No leader exists at 0s: nobody has timed out yet.
		cfg.Timeline = []Action{{At: 0, Kind: ActCrash, Leader: true, Require: require}}
		res, lines := traced(t, cfg)
		if res.Stats.MissingTargets != 1 || len(res.Missing) != 1 || res.Missing[0].Reason != "no leader" {
			t.Fatalf("require %v: missing %d %+v, want one: no leader", require, res.Stats.MissingTargets, res.Missing)
		}
		if acts := actionLines(lines); len(acts) != 1 || acts[0] != "crash (missing: no leader)" {
			t.Fatalf("require %v: trace says %q", require, acts)
		}
		failed := slices.ContainsFunc(res.Failures, func(f Failure) bool {
			return f.Kind == FailureScenario && f.Name == "missing-target" && strings.Contains(f.Message, "timeline[0] (crash): no leader")
		})
		if failed != require || (!require && !res.Passed()) {
			t.Fatalf("require %v: failures %v", require, res.Failures)
		}
	}
}

// An entry's label names it in messages and the trace.
func TestLabelNamesTheEntry(t *testing.T) {
	cfg := idle(1)
	cfg.Timeline = []Action{
		{At: 0, Kind: ActCrash, Leader: true, Require: true, Label: "too early"},
		{At: 0, Kind: ActHeal, Chance: netsim.Ratio{Num: 0, Den: 1}, Label: "never"},
	}
	res, lines := traced(t, cfg)
	if len(res.Failures) != 1 || res.Failures[0].Message != "too early (crash): no leader" {
		t.Fatalf("failures %v", res.Failures)
	}
	if acts := actionLines(lines); len(acts) != 2 || acts[1] != "skip never (heal) (chance 0/1)" {
		t.Fatalf("actions %q", acts)
	}
}

// A named node the action cannot act on is a missing target too.
func TestIneligibleNamedNodeIsMissing(t *testing.T) {
	cfg := idle(2)
	cfg.Timeline = []Action{
		{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{3}},
		{At: 1200 * time.Millisecond, Kind: ActCrash, Nodes: []raft.NodeID{3, 4}, Require: true},
	}
	res, lines := traced(t, cfg)
	if acts := actionLines(lines); acts[1] != "crash [4] (missing: node 3 is down)" {
		t.Fatalf("trace says %q", acts[1])
	}
	if len(res.Failures) != 1 || res.Failures[0].Name != "missing-target" {
		t.Fatalf("failures %v", res.Failures)
	}
}

func TestTargetValidation(t *testing.T) {
	cases := []struct {
		a   Action
		msg string
	}{
		{Action{Kind: ActCrash, Leader: true, Random: 1}, "at most one"},
		{Action{Kind: ActCrash, Random: 6}, "random: 6 is outside [1, 5]"},
		{Action{Kind: ActCrash, LeaderAnd: 5}, "leader_and: 5 is outside [1, 4]"},
		{Action{Kind: ActCrash, Names: []string{"x"}}, `"x" is bound by no earlier action's as`},
		{Action{Kind: ActCrash, Nodes: []raft.NodeID{1}, As: "Bad Name"}, "is not a name"},
		{Action{Kind: ActHeal, Follower: true}, "a heal action takes no names"},
	}
	for _, c := range cases {
		cfg := quick(1)
		cfg.Timeline = []Action{c.a}
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: Validate = %v, want %q", c.a, err, c.msg)
		}
	}
}
