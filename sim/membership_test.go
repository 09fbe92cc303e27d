package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// finalConfig is the configuration of the leader at the end of a run.
func finalConfig(t *testing.T, s *Simulator) raft.ConfState {
	t.Helper()
	l := s.leader()
	if l == nil {
		t.Fatal("no leader at the end")
	}
	cs, _ := l.rn.LogConfig()
	return cs
}

// runSim runs cfg and returns the simulator, to look at its nodes.
func runSim(t *testing.T, cfg Config) (*Simulator, *Result) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := newSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := s.run()
	return s, res
}

// TestRollingReplacement replaces every voter of a 3-node cluster with a
// spare, one after the other, under client load: each change is ok, the
// final configuration is the spares, and the run passes every check.
func TestRollingReplacement(t *testing.T) {
	cfg := quick(3)
	cfg.Nodes, cfg.Voters = 6, 3
	for i := range 3 {
		cfg.Timeline = append(cfg.Timeline,
			Action{At: 300 * time.Millisecond, Kind: ActReplace, Nodes: []raft.NodeID{raft.NodeID(i + 1)}, With: []raft.NodeID{raft.NodeID(i + 4)}, Follows: i > 0},
			Action{At: 300 * time.Millisecond, Kind: ActWait, Wait: WaitMembership, Within: 3 * time.Second, Follows: true})
	}
	s, res := runSim(t, cfg)
	if !res.Passed() {
		t.Fatalf("failures: %v", res.Failures)
	}
	if len(res.Membership) != 3 {
		t.Fatalf("membership records %+v", res.Membership)
	}
	for _, m := range res.Membership {
		if m.Outcome != "ok" || m.Attempts < 2 {
			t.Fatalf("replacement %+v", m)
		}
	}
	if cs := finalConfig(t, s); !slices.Equal(cs.Voters, []raft.NodeID{4, 5, 6}) || cs.IsJoint() {
		t.Fatalf("final configuration %v", cs)
	}
	if res.Stats.OpsOK == 0 {
		t.Fatal("no client operation completed")
	}
}

// TestJointReplacementAndLearners: a joint replacement of two voters at
// once, and a learner added then promoted.
func TestJointReplacementAndLearners(t *testing.T) {
	cfg := quick(4)
	cfg.Nodes, cfg.Voters = 6, 3
	cfg.Timeline = []Action{
		{At: 300 * time.Millisecond, Kind: ActReplace, Nodes: []raft.NodeID{1, 2}, With: []raft.NodeID{4, 5}, Joint: true},
		{At: 300 * time.Millisecond, Kind: ActWait, Wait: WaitMembership, Within: 3 * time.Second, Follows: true},
		{At: 300 * time.Millisecond, Kind: ActAddLearner, Random: 1, As: "learner", Follows: true},
		{At: 300 * time.Millisecond, Kind: ActWait, Wait: WaitMembership, Within: 3 * time.Second, Follows: true},
		{At: 300 * time.Millisecond, Kind: ActPromote, Names: []string{"learner"}, Follows: true, DelayMin: 100 * time.Millisecond, DelayMax: 100 * time.Millisecond},
	}
	s, res := runSim(t, cfg)
	if !res.Passed() {
		t.Fatalf("failures: %v", res.Failures)
	}
	for _, m := range res.Membership {
		if m.Outcome != "ok" {
			t.Fatalf("membership %+v", res.Membership)
		}
	}
	learner := res.Membership[1].Nodes
	if len(learner) != 1 || !slices.Contains([]raft.NodeID{1, 2}, learner[0]) {
		t.Fatalf("the learner drawn is %v; the only nodes outside the configuration are 1 and 2", learner)
	}
	cs := finalConfig(t, s)
	want := []raft.NodeID{3, 4, 5, learner[0]}
	slices.Sort(want)
	if !slices.Equal(cs.Voters, want) || len(cs.Learners) != 0 {
		t.Fatalf("final configuration %v, want voters %v", cs, want)
	}
}

// TestRemoveLeaderAndTransfer: removing the leader makes another node
// lead; a transfer to a named follower makes it lead.
func TestRemoveLeaderAndTransfer(t *testing.T) {
	cfg := quick(5)
	cfg.Timeline = []Action{
		{At: 500 * time.Millisecond, Kind: ActRemove, Leader: true, As: "old"},
		{At: 500 * time.Millisecond, Kind: ActWait, Wait: WaitMembership, Within: 3 * time.Second, Follows: true},
		{At: 500 * time.Millisecond, Kind: ActTransferLeader, Follower: true, As: "next", Follows: true, DelayMin: 200 * time.Millisecond, DelayMax: 200 * time.Millisecond},
		{At: 500 * time.Millisecond, Kind: ActWait, Wait: WaitMembership, Within: 3 * time.Second, Follows: true},
	}
	s, res, lines := func() (*Simulator, *Result, []line) {
		res, lines := traced(t, cfg)
		s, _ := runSim(t, cfg)
		return s, res, lines
	}()
	if !res.Passed() {
		t.Fatalf("failures: %v", res.Failures)
	}
	old, next := res.Membership[0].Nodes[0], res.Membership[1].Nodes[0]
	if res.Membership[0].Outcome != "ok" || res.Membership[1].Outcome != "ok" {
		t.Fatalf("membership %+v", res.Membership)
	}
	if l := s.leader(); l == nil || l.id != next || l.id == old {
		t.Fatalf("leader %v at the end, want %d (old leader %d removed)", l, next, old)
	}
	if cs := finalConfig(t, s); cs.IsMember(old) || len(cs.Voters) != 4 {
		t.Fatalf("final configuration %v", cs)
	}
	acts := strings.Join(actionLines(lines), "\n")
	if !strings.Contains(acts, "transfer_leader: node") || !strings.Contains(acts, fmt.Sprintf("remove [%d]: ok", old)) {
		t.Fatalf("trace actions:\n%s", acts)
	}
}

// TestMembershipRefusedThenRetried: two changes at one instant are made
// one after the other (the second is refused while the first is in
// flight, and retried); a change naming no member fails.
func TestMembershipRefusedThenRetried(t *testing.T) {
	cfg := quick(6)
	cfg.Nodes, cfg.Voters = 5, 3
	cfg.Timeline = []Action{
		{At: 500 * time.Millisecond, Kind: ActAddVoter, Nodes: []raft.NodeID{4}},
		{At: 500 * time.Millisecond, Kind: ActAddVoter, Nodes: []raft.NodeID{5}},
		{At: 2 * time.Second, Kind: ActRemove, Nodes: []raft.NodeID{4}, Within: 100 * time.Millisecond},
	}
	s, res := runSim(t, cfg)
	if !res.Passed() {
		t.Fatalf("failures: %v", res.Failures)
	}
	m := res.Membership
	if m[0].Outcome != "ok" || m[1].Outcome != "ok" || m[1].End <= m[0].End {
		t.Fatalf("membership %+v", m)
	}
	if m[2].Outcome != "ok" {
		t.Fatalf("removal %+v", m[2])
	}
	if cs := finalConfig(t, s); !slices.Equal(cs.Voters, []raft.NodeID{1, 2, 3, 5}) {
		t.Fatalf("final configuration %v", cs)
	}
}

// TestMembershipTargets: a membership action finds only nodes it can act
// on: no voter to add, no learner to promote.
func TestMembershipTargets(t *testing.T) {
	cfg := quick(7)
	cfg.Nodes, cfg.Voters = 4, 3
	cfg.Timeline = []Action{
		{At: 500 * time.Millisecond, Kind: ActAddVoter, Nodes: []raft.NodeID{2}},
		{At: 600 * time.Millisecond, Kind: ActPromote, Random: 1, Require: true},
	}
	_, lines := traced(t, cfg)
	acts := actionLines(lines)
	if acts[0] != "add_voter (missing: node 2 is a voter already)" || !strings.HasPrefix(acts[1], "promote (missing: 0 of 1 nodes to pick)") {
		t.Fatalf("actions %q", acts)
	}
}
