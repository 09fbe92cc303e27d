package checker

import (
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// fencedNode is a fakeNode that repairs its log.
type fencedNode struct {
	fakeNode
	fence raft.Term
}

func (f *fencedNode) Status() raft.Status {
	st := f.fakeNode.Status()
	st.Fence = f.fence
	return st
}

func (f *fencedNode) Fenced() bool { return f.fence != 0 }

// The FAST '18 case: entry 2 is committed on nodes 1 and 2; node 2 lost it
// to corruption; node 3 never had it. Node 3 could win with node 2's vote,
// unless node 2 is fenced: then Commit Safety holds, and the same logs
// with node 2 unfenced (a node that truncated blindly) break it.
func TestCommitSafetyCountsFencedNodesOut(t *testing.T) {
	l := &fakeNode{terms: []raft.Term{1, 2}, role: raft.RoleLeader, term: 2, commit: 1}
	lost := &fencedNode{fakeNode: fakeNode{terms: []raft.Term{1}, term: 2}, fence: 2}
	never := &fakeNode{terms: []raft.Term{1}, term: 2}
	iv := NewInvariants(ids)
	iv.SetCluster(func(id raft.NodeID) LogView {
		return []LogView{l, lost, never}[id-1]
	})
	wantNone(t, iv.ObserveNode(1, l))
	l.commit = 2
	wantNone(t, iv.ObserveNode(1, l))

	lost.fence = 0
	iv = NewInvariants(ids)
	iv.SetCluster(func(id raft.NodeID) LogView {
		return []LogView{l, lost, never}[id-1]
	})
	l.commit = 1
	wantNone(t, iv.ObserveNode(1, l))
	l.commit = 2
	wantViolation(t, iv.ObserveNode(1, l), "commit-safety")
}

func TestObserveSend(t *testing.T) {
	iv := NewInvariants(ids)
	n := &fakeNode{terms: []raft.Term{1, 1, 1}, term: 1, commit: 1}
	ack := raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 1, Index: 3}
	wantNone(t, iv.ObserveSend(2, ack, n, 3))
	wantViolation(t, iv.ObserveSend(2, ack, n, 2), "ack-durable")
	n.commit = 3 // committed entries held in memory only vouch for nothing new
	wantNone(t, iv.ObserveSend(2, ack, n, 2))
	n.commit = 1
	ack.Reject = true
	wantNone(t, iv.ObserveSend(2, ack, n, 0))

	f := &fencedNode{fakeNode: fakeNode{terms: []raft.Term{1}, term: 3}, fence: 2}
	grant := raft.Message{Type: raft.MsgPreVoteResp, From: 2, To: 3, Term: 4}
	wantViolation(t, iv.ObserveSend(2, grant, f, 1), "fenced-vote")
	grant.Type = raft.MsgVoteResp
	wantViolation(t, iv.ObserveSend(2, grant, f, 1), "fenced-vote")
	grant.Reject = true
	wantNone(t, iv.ObserveSend(2, grant, f, 1))
	grant.Reject = false
	f.fence = 0
	wantNone(t, iv.ObserveSend(2, grant, f, 1))
}

func TestFencedNodeStandsInNoElection(t *testing.T) {
	iv := NewInvariants(ids)
	f := &fencedNode{fakeNode: fakeNode{terms: []raft.Term{1}, term: 3, role: raft.RolePreCandidate}, fence: 2}
	wantViolation(t, iv.ObserveRole(2, raft.RolePreCandidate, 3, f), "fenced-election")
	wantNone(t, iv.ObserveRole(2, raft.RoleFollower, 3, f))
}

type floorNode struct {
	fakeNode
	applied, floor raft.Index
}

func (f *floorNode) Status() raft.Status {
	st := f.fakeNode.Status()
	st.Applied, st.AppliedFloor = f.applied, f.floor
	return st
}

// A node whose log lost applied entries restarts below what its state
// machine holds; its apply floor says so.
func TestRestartWithApplyFloor(t *testing.T) {
	iv := NewInvariants(ids)
	for i := raft.Index(1); i <= 5; i++ {
		wantNone(t, iv.ObserveApply(2, entry(i, 1, "x"), 0, 0))
	}
	n := &floorNode{fakeNode: fakeNode{terms: []raft.Term{1, 1}, term: 1}, applied: 2, floor: 5}
	wantNone(t, iv.ObserveRestart(2, n))
	n.floor = 0
	wantViolation(t, iv.ObserveRestart(2, n), "applied-restored")
}
