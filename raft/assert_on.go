//go:build invariants

package raft

import "fmt"

// checkInvariants panics, with the numbers, on any broken invariant of
// the node's state: the local half of what checker.Invariants checks
// across the cluster.
func (n *Node) checkInvariants() {
	l := n.log
	last := l.lastIndex()
	switch {
	case l.applied > l.committed:
		panic(fmt.Sprintf("raft: node %d: applied %d > committed %d", n.id, l.applied, l.committed))
	case l.committed > last:
		panic(fmt.Sprintf("raft: node %d: committed %d > last index %d", n.id, l.committed, last))
	case l.applied > l.stable:
		panic(fmt.Sprintf("raft: node %d: applied %d is past the durable log (stable %d)", n.id, l.applied, l.stable))
	case l.stable > last || l.stable+1 < l.first:
		panic(fmt.Sprintf("raft: node %d: stable %d outside [%d, %d]", n.id, l.stable, l.first-1, last))
	case l.snap != nil && (l.snap.Meta.Index+1 < l.first || l.snap.Meta.Index > l.committed):
		panic(fmt.Sprintf("raft: node %d: snapshot at %d outside [%d, committed %d]", n.id, l.snap.Meta.Index, l.first-1, l.committed))
	case l.snap == nil && l.first != 1:
		panic(fmt.Sprintf("raft: node %d: log starts at %d without a snapshot", n.id, l.first))
	case l.snapRestore != (l.applied < l.snapIndex()):
		panic(fmt.Sprintf("raft: node %d: restore pending %v with applied %d and snapshot at %d", n.id, l.snapRestore, l.applied, l.snapIndex()))
	case !l.snapRestore && l.applied+1 < l.first:
		panic(fmt.Sprintf("raft: node %d: compacted to %d, past applied %d", n.id, l.first-1, l.applied))
	case l.compact > l.snapIndex():
		panic(fmt.Sprintf("raft: node %d: storage compaction to %d past the snapshot at %d", n.id, l.compact, l.snapIndex()))
	case l.lastTerm() > n.term:
		panic(fmt.Sprintf("raft: node %d: last entry's term %d is after the node's term %d", n.id, l.lastTerm(), n.term))
	case n.fence != 0 && l.lastTerm() > n.fence:
		panic(fmt.Sprintf("raft: node %d: fenced at term %d with an entry of term %d", n.id, n.fence, l.lastTerm()))
	case n.fence != 0 && n.role != RoleFollower:
		panic(fmt.Sprintf("raft: node %d: fenced at term %d as %s", n.id, n.fence, n.role))
	case l.applyFloor != 0 && l.applyFloor <= l.applied:
		panic(fmt.Sprintf("raft: node %d: apply floor %d at or below applied %d", n.id, l.applyFloor, l.applied))
	}
	// Terms never decrease along the log. Entries up to l.verified were
	// checked before and have not changed since (truncation moves it
	// back), so each entry is checked once: O(1) amortized per input.
	start := max(l.first, l.verified+1)
	prev, _ := l.term(start - 1)
	for i := start; i <= last; i++ {
		t, _ := l.term(i)
		if t < prev {
			panic(fmt.Sprintf("raft: node %d: entry %d has term %d after term %d", n.id, i, t, prev))
		}
		if e := l.entries.at(int(i - l.first)); e.Index != i {
			panic(fmt.Sprintf("raft: node %d: entry at position of index %d says index %d", n.id, i, e.Index))
		}
		prev = t
	}
	l.verified = last
	if n.role == RoleLeader {
		if n.lead != n.id || n.vote != n.id {
			panic(fmt.Sprintf("raft: node %d: leader of term %d with lead %d and vote %d", n.id, n.term, n.lead, n.vote))
		}
		for i := range n.prs {
			pr := &n.prs[i]
			if pr.match >= pr.next || pr.next > last+1 {
				panic(fmt.Sprintf("raft: node %d: progress %v outside the log (last %d)", n.id, pr, last))
			}
		}
	}
}
