package checker

import (
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// fakeNode is a hand-built node state: a log of terms and a status.
type fakeNode struct {
	terms  []raft.Term // terms[i] is the term of entry i+1
	role   raft.Role
	term   raft.Term
	commit raft.Index
}

func (f *fakeNode) Status() raft.Status {
	st := raft.Status{Role: f.role, Term: f.term, Commit: f.commit, LastIndex: raft.Index(len(f.terms))}
	if len(f.terms) > 0 {
		st.LastTerm = f.terms[len(f.terms)-1]
	}
	return st
}

func (f *fakeNode) Term(i raft.Index) (raft.Term, bool) {
	if i == 0 {
		return 0, true
	}
	if int(i) > len(f.terms) {
		return 0, false
	}
	return f.terms[i-1], true
}

func entry(index raft.Index, term raft.Term, data string) raft.Entry {
	return raft.Entry{Index: index, Term: term, Type: raft.EntryNormal, Data: []byte(data)}
}

func wantViolation(t *testing.T, v *Violation, name string) {
	t.Helper()
	if v == nil {
		t.Fatalf("no violation, want %s", name)
	}
	if v.Invariant != name {
		t.Fatalf("violation %s (%s), want %s", v.Invariant, v.Message, name)
	}
}

func wantNone(t *testing.T, v *Violation) {
	t.Helper()
	if v != nil {
		t.Fatalf("unexpected violation: %v", v)
	}
}

var ids = []raft.NodeID{1, 2, 3}

func TestElectionSafety(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, &fakeNode{role: raft.RoleLeader, term: 2}))
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, &fakeNode{role: raft.RoleLeader, term: 2})) // same leader again
	wantNone(t, iv.ObserveRole(2, raft.RoleLeader, 3, &fakeNode{role: raft.RoleLeader, term: 3}))
	wantViolation(t, iv.ObserveRole(3, raft.RoleLeader, 2, &fakeNode{role: raft.RoleLeader, term: 2}), "election-safety")
}

func TestLogMatching(t *testing.T) {
	iv := NewInvariants(ids)
	a := &fakeNode{terms: []raft.Term{1, 1}}
	wantNone(t, iv.ObserveAppend(1, a, []raft.Entry{entry(1, 1, "x"), entry(2, 1, "y")}))
	// The same entries elsewhere are fine.
	wantNone(t, iv.ObserveAppend(2, a, []raft.Entry{entry(1, 1, "x"), entry(2, 1, "y")}))
	// Same index and term, another command: Log Matching is broken.
	wantViolation(t, iv.ObserveAppend(3, a, []raft.Entry{entry(1, 1, "x"), entry(2, 1, "z")}), "log-matching")
	// Same index and term after a different previous term.
	iv = NewInvariants(ids)
	wantNone(t, iv.ObserveAppend(1, &fakeNode{terms: []raft.Term{1}}, []raft.Entry{entry(2, 3, "y")}))
	wantViolation(t, iv.ObserveAppend(2, &fakeNode{terms: []raft.Term{2}}, []raft.Entry{entry(2, 3, "y")}), "log-matching")
}

func TestStateMachineSafetyAndExactlyOnce(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveApply(1, entry(1, 1, "x"), 0, 0))
	wantNone(t, iv.ObserveApply(2, entry(1, 1, "x"), 0, 0))
	wantViolation(t, iv.ObserveApply(3, entry(1, 2, "q"), 0, 0), "state-machine-safety")

	iv = NewInvariants(ids)
	wantNone(t, iv.ObserveApply(1, entry(1, 1, "x"), 0, 0))
	wantViolation(t, iv.ObserveApply(1, entry(1, 1, "x"), 0, 0), "apply-exactly-once")
	iv = NewInvariants(ids)
	wantViolation(t, iv.ObserveApply(1, entry(2, 1, "x"), 0, 0), "apply-exactly-once")
}

func TestClientAtMostOnce(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveApply(1, entry(1, 1, "a"), 7, 1))
	wantNone(t, iv.ObserveApply(1, entry(2, 1, "b"), 7, 2))
	wantNone(t, iv.ObserveApply(2, entry(1, 1, "a"), 7, 1)) // another node
	wantViolation(t, iv.ObserveApply(1, entry(3, 1, "a'"), 7, 1), "client-at-most-once")
}

func TestLeaderCompleteness(t *testing.T) {
	iv := NewInvariants(ids)
	// Leader 1 of term 2 commits entries 1 and 2 of term 2.
	l := &fakeNode{terms: []raft.Term{2, 2}, role: raft.RoleLeader, term: 2, commit: 2}
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, l))
	wantNone(t, iv.ObserveApply(1, entry(1, 2, "a"), 0, 0))
	wantNone(t, iv.ObserveApply(1, entry(2, 2, "b"), 0, 0))
	wantNone(t, iv.ObserveNode(1, l))
	// A stale leader of term 2's predecessor, observed late, need not
	// hold them.
	wantNone(t, iv.ObserveRole(3, raft.RoleLeader, 1, &fakeNode{terms: []raft.Term{1}, role: raft.RoleLeader, term: 1}))
	// A leader of term 3 lacking entry 2 breaks Leader Completeness.
	wantViolation(t, iv.ObserveRole(2, raft.RoleLeader, 3, &fakeNode{terms: []raft.Term{2}, role: raft.RoleLeader, term: 3}), "leader-completeness")
	// One holding both is fine.
	wantNone(t, iv.ObserveRole(3, raft.RoleLeader, 4, &fakeNode{terms: []raft.Term{2, 2, 3}, role: raft.RoleLeader, term: 4}))
}

func TestLeaderAppendOnly(t *testing.T) {
	iv := NewInvariants(ids)
	l := &fakeNode{terms: []raft.Term{1, 2}, role: raft.RoleLeader, term: 2}
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, l))
	l.terms = append(l.terms, 2)
	wantNone(t, iv.ObserveNode(1, l))
	// Still leader of term 2, but its last entry was replaced.
	l.terms = []raft.Term{1, 2, 1}
	wantViolation(t, iv.ObserveNode(1, l), "leader-append-only")
	// After stepping down, a node may truncate.
	iv = NewInvariants(ids)
	l = &fakeNode{terms: []raft.Term{1, 2}, role: raft.RoleLeader, term: 2}
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, l))
	l.role, l.term, l.terms = raft.RoleFollower, 3, []raft.Term{1}
	wantNone(t, iv.ObserveNode(1, l))
}

func TestCommitMonotonicAndRestart(t *testing.T) {
	iv := NewInvariants(ids)
	n := &fakeNode{terms: []raft.Term{1, 1}, commit: 2}
	wantNone(t, iv.ObserveNode(1, n))
	n.commit = 1
	wantViolation(t, iv.ObserveNode(1, n), "commit-monotonic")
	// After a restart the volatile commit index may start lower...
	iv = NewInvariants(ids)
	n.commit = 2
	wantNone(t, iv.ObserveNode(1, n))
	wantNone(t, iv.ObserveApply(1, entry(1, 1, "a"), 0, 0))
	restarted := &fakeNode{terms: []raft.Term{1, 1}}
	wantViolation(t, iv.ObserveRestart(1, restarted), "applied-restored") // applied 0, state machine holds 1
	// ...but a restart that restores applied correctly is fine.
	iv = NewInvariants(ids)
	wantNone(t, iv.ObserveRestart(1, &fakeNode{terms: []raft.Term{1}}))
	wantNone(t, iv.ObserveNode(1, &fakeNode{terms: []raft.Term{1}, commit: 0}))
}

func TestReadFreshness(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveRead(1, 5, 5, 5))
	wantNone(t, iv.ObserveRead(1, 5, 7, 4))
	wantViolation(t, iv.ObserveRead(1, 5, 4, 3), "read-after-apply")
	wantViolation(t, iv.ObserveRead(1, 3, 3, 6), "read-freshness") // stale leader
}

// A commit that nobody has applied yet still binds later leaders: the
// leader that committed may crash before applying it.
func TestLeaderCompletenessWithoutApply(t *testing.T) {
	iv := NewInvariants(ids)
	l := &fakeNode{terms: []raft.Term{2, 2}, role: raft.RoleLeader, term: 2, commit: 2}
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, l))
	wantNone(t, iv.ObserveNode(1, l))
	wantViolation(t, iv.ObserveRole(2, raft.RoleLeader, 3, &fakeNode{terms: []raft.Term{2, 3}, role: raft.RoleLeader, term: 3}), "leader-completeness")
}

func (f *fakeNode) LastIndex() raft.Index { return raft.Index(len(f.terms)) }

// cluster builds a Cluster over fake nodes 1..len(nodes).
func cluster(nodes ...*fakeNode) Cluster {
	return func(id raft.NodeID) LogView { return nodes[id-1] }
}

// Figure 8 (c) and (d) of the Raft paper: S1, leader of term 4, has
// replicated entry 2 of term 2 to S2 but not its own entry of term 4, while
// S3 holds entry 2 of term 3. Committing entry 2 by counting replicas is
// unsafe the moment it happens: S3 is at least as up to date as S2 and
// itself, so it can win and overwrite it.
func TestCommitSafetyFigure8(t *testing.T) {
	s1 := &fakeNode{terms: []raft.Term{1, 2, 4}, role: raft.RoleLeader, term: 4, commit: 1}
	s2 := &fakeNode{terms: []raft.Term{1, 2}, term: 4, commit: 1}
	s3 := &fakeNode{terms: []raft.Term{1, 3}, term: 3, commit: 1}
	iv := NewInvariants(ids)
	iv.SetCluster(cluster(s1, s2, s3))
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 4, s1))
	wantNone(t, iv.ObserveNode(1, s1))
	s1.commit = 2
	v := iv.ObserveNode(1, s1)
	wantViolation(t, v, "commit-safety")
	if v.Index != 2 || v.Term != 2 {
		t.Fatalf("violation names entry %d of term %d, want 2 of term 2: %v", v.Index, v.Term, v)
	}

	// Once S2 holds S1's entry of term 4, committing it (and with it
	// entry 2) is safe: S3 can no longer win.
	iv = NewInvariants(ids)
	iv.SetCluster(cluster(s1, s2, s3))
	s1.commit = 1
	wantNone(t, iv.ObserveNode(1, s1))
	s2.terms = []raft.Term{1, 2, 4}
	s1.commit = 3
	wantNone(t, iv.ObserveNode(1, s1))
	// A follower learning the commit is checked too, and is fine.
	s2.commit = 3
	wantNone(t, iv.ObserveNode(2, s2))
}

// A node that lacks a committed entry but is behind a quorum cannot win:
// no violation. The check counts the node itself among the voters.
func TestCommitSafetyLaggingNode(t *testing.T) {
	five := []raft.NodeID{1, 2, 3, 4, 5}
	l := &fakeNode{terms: []raft.Term{1, 2, 2}, role: raft.RoleLeader, term: 2, commit: 3}
	iv := NewInvariants(five)
	// Nodes 4 and 5 lack entry 3; each is at least as up to date as
	// both laggards, 2 of 5: not a quorum.
	iv.SetCluster(cluster(l, &fakeNode{terms: []raft.Term{1, 2, 2}}, &fakeNode{terms: []raft.Term{1, 2, 2}}, &fakeNode{terms: []raft.Term{1, 2}}, &fakeNode{terms: []raft.Term{1}}))
	wantNone(t, iv.ObserveNode(1, l))
	// With entry 3 on only two nodes, node 3 is at least as up to date
	// as itself, node 4 and node 5: a quorum of 3.
	iv = NewInvariants(five)
	iv.SetCluster(cluster(l, &fakeNode{terms: []raft.Term{1, 2, 2}}, &fakeNode{terms: []raft.Term{1, 2}}, &fakeNode{terms: []raft.Term{1, 2}}, &fakeNode{terms: []raft.Term{1}}))
	wantViolation(t, iv.ObserveNode(1, l), "commit-safety")
}
