package checker

import (
	"crypto/sha256"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

func digestOf(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// applyN applies entries 1..n of term 1 on node id.
func applyN(t *testing.T, iv *Invariants, id raft.NodeID, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		wantNone(t, iv.ObserveApply(id, entry(raft.Index(i), 1, "c"), 0, 0))
	}
}

func TestSnapshotCompactPastApplied(t *testing.T) {
	iv := NewInvariants(ids)
	applyN(t, iv, 1, 3)
	wantNone(t, iv.ObserveSnapshot(1, 3, 1, digestOf("s3"), 3))
	wantViolation(t, iv.ObserveSnapshot(1, 4, 1, digestOf("s4"), 3), "compact-past-applied")
	wantNone(t, iv.ObserveCompact(1, 3, 3))
	wantViolation(t, iv.ObserveCompact(1, 4, 3), "compact-past-applied")
}

// Every node's state at a snapshot's index is the snapshot's: whether it
// made one there, applied the index, or restored the snapshot.
func TestSnapshotDigest(t *testing.T) {
	iv := NewInvariants(ids)
	applyN(t, iv, 1, 3)
	if iv.WantsDigest(3) {
		t.Fatal("a digest is wanted at an index nobody snapshotted")
	}
	wantNone(t, iv.ObserveSnapshot(1, 3, 1, digestOf("state at 3"), 3))
	if !iv.WantsDigest(3) {
		t.Fatal("no digest wanted at a snapshot's index")
	}
	wantNone(t, iv.ObserveDigest(2, 3, digestOf("state at 3")))
	wantViolation(t, iv.ObserveDigest(3, 3, digestOf("another state")), "snapshot-digest")
	// A restore of the snapshot holds the same state, or it is corrupt.
	wantNone(t, iv.ObserveRestore(2, 3, 1, digestOf("state at 3")))
	wantViolation(t, iv.ObserveRestore(3, 3, 1, digestOf("a snapshot with a hole")), "snapshot-digest")
}

// A restore never moves a node's applied index back, or leaves it.
func TestSnapshotAppliedMonotonic(t *testing.T) {
	iv := NewInvariants(ids)
	applyN(t, iv, 1, 5)
	wantNone(t, iv.ObserveSnapshot(1, 4, 1, digestOf("s4"), 5))
	wantViolation(t, iv.ObserveRestore(1, 4, 1, digestOf("s4")), "applied-monotonic")
	wantViolation(t, iv.ObserveRestore(1, 5, 1, digestOf("s5")), "applied-monotonic")
	// Node 2 applied nothing: it may restore, then apply what follows.
	wantNone(t, iv.ObserveRestore(2, 4, 1, digestOf("s4")))
	wantNone(t, iv.ObserveApply(2, entry(5, 1, "c"), 0, 0))
	wantViolation(t, iv.ObserveApply(2, entry(7, 1, "c"), 0, 0), "apply-exactly-once")
}

// A snapshot whose last entry has another term than the entry applied
// there breaks Log Matching across compaction.
func TestSnapshotTermMatchesAppliedEntry(t *testing.T) {
	iv := NewInvariants(ids)
	applyN(t, iv, 1, 3)
	wantViolation(t, iv.ObserveSnapshot(1, 3, 2, digestOf("s"), 3), "log-matching")
	wantViolation(t, iv.ObserveRestore(2, 3, 2, digestOf("s")), "log-matching")
}

// A snapshot may reach past what any node applied in the checker's view
// (never in a correct run); the entries it covers are learned later.
func TestRestoreBeyondTheReference(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveRestore(1, 3, 1, digestOf("s3")))
	wantNone(t, iv.ObserveApply(1, entry(4, 1, "d"), 0, 0))
	wantNone(t, iv.ObserveApply(2, entry(1, 1, "a"), 0, 0))
	wantNone(t, iv.ObserveApply(2, entry(2, 1, "b"), 0, 0))
	wantNone(t, iv.ObserveApply(2, entry(3, 1, "c"), 0, 0))
	wantNone(t, iv.ObserveApply(2, entry(4, 1, "d"), 0, 0))
	wantViolation(t, iv.ObserveApply(3, entry(1, 1, "not a"), 0, 0), "state-machine-safety")
}

// Replicas apply the same command to the same state: one that executes a
// command another answered as a retry (its session table lost, say by a
// snapshot without sessions) runs a command twice.
func TestExecutionsAgreeAcrossReplicas(t *testing.T) {
	iv := NewInvariants(ids)
	wantNone(t, iv.ObserveApply(1, entry(1, 1, "c7 s1"), 7, 1))
	wantNone(t, iv.ObserveApply(1, entry(2, 1, "c7 s1"), 0, 0)) // a retry, answered from the session
	wantNone(t, iv.ObserveApply(2, entry(1, 1, "c7 s1"), 7, 1))
	wantViolation(t, iv.ObserveApply(2, entry(2, 1, "c7 s1"), 7, 1), "client-at-most-once")
	// The other way round: a replica that skips what the first executed.
	wantNone(t, iv.ObserveApply(3, entry(1, 1, "c7 s1"), 7, 1))
	wantNone(t, iv.ObserveApply(3, entry(2, 1, "c7 s1"), 0, 0))
	wantNone(t, iv.ObserveApply(1, entry(3, 1, "c8 s1"), 8, 1))
	wantViolation(t, iv.ObserveApply(3, entry(3, 1, "c8 s1"), 0, 0), "client-at-most-once")
}

// compactedNode is a fakeNode whose log starts after index compacted.
type compactedNode struct {
	fakeNode
	compacted raft.Index
}

func (c *compactedNode) Compacted() raft.Index { return c.compacted }

func (c *compactedNode) Term(i raft.Index) (raft.Term, bool) {
	if i < c.compacted {
		return 0, false
	}
	return c.fakeNode.Term(i)
}

// Commit Safety counts entries a node compacted into its snapshot as
// held: they are committed, and a view that says nothing of them would
// make a node that compacted look like one that lacks them.
func TestCommitSafetyCountsCompactedEntries(t *testing.T) {
	l := &fakeNode{terms: []raft.Term{1, 1, 2}, role: raft.RoleLeader, term: 2, commit: 1}
	comp := &compactedNode{fakeNode: fakeNode{terms: []raft.Term{1, 1, 2}}, compacted: 2}
	lagging := &fakeNode{terms: []raft.Term{1, 1, 2}}
	iv := NewInvariants(ids)
	iv.SetCluster(func(id raft.NodeID) LogView {
		return []LogView{l, comp, lagging}[id-1]
	})
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 2, l))
	wantNone(t, iv.ObserveNode(1, l))
	// Without the Compacted view, node 2 would seem to lack entry 1 (its
	// Term answers false there) while at least as up to date as all.
	if _, ok := comp.Term(1); ok {
		t.Fatal("the compacted node still answers for entry 1")
	}
	iv2 := NewInvariants(ids)
	iv2.SetCluster(func(id raft.NodeID) LogView {
		return []LogView{l, termsOnly{comp}, lagging}[id-1]
	})
	wantNone(t, iv2.ObserveRole(1, raft.RoleLeader, 2, l))
	wantViolation(t, iv2.ObserveNode(1, l), "commit-safety")
}

// termsOnly hides a view's Compacted.
type termsOnly struct{ v *compactedNode }

func (o termsOnly) LastIndex() raft.Index               { return o.v.LastIndex() }
func (o termsOnly) Term(i raft.Index) (raft.Term, bool) { return o.v.Term(i) }
