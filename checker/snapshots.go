package checker

import (
	"crypto/sha256"
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// Snapshot invariants (§7). The simulator reports every snapshot a node
// makes (Compact), every storage compaction, every snapshot a node's state
// machine is reset to, and the digest of a node's state machine whenever
// it applies an index some node snapshotted:
//
//   - snapshot-digest: the state a snapshot holds, and the state of every
//     node that applies or restores the same index, are one state. A
//     restored node holds exactly what any node held at that index.
//   - compact-past-applied: no node snapshots or compacts an entry its
//     state machine has not applied.
//   - applied-monotonic: a restore moves the applied index forward: a
//     snapshot not ahead of what the node applied would move it back.
//   - log-matching (across compaction): a snapshot's last entry has the
//     term of the entry applied at its index, so the entries a node
//     appends after a snapshot continue the log every other node holds
//     (ObserveAppend then checks them against it).
//
// Digests are kept for the latest digestsMax snapshot indexes; older ones
// are forgotten (and no longer checked), so memory stays bounded however
// long a run compacts.

// digestsMax bounds the snapshot indexes whose digests are kept.
const digestsMax = 1024

type digestRecord struct {
	digest [sha256.Size]byte
	node   raft.NodeID
	what   string
}

type snapshotFacts struct {
	digests map[raft.Index]digestRecord
	// order is the FIFO of recorded indexes, for eviction.
	order []raft.Index
}

// ObserveSnapshot is called when node id makes a snapshot of its state
// machine: its index and term, the digest of the state it holds, and the
// state machine's applied index.
func (iv *Invariants) ObserveSnapshot(id raft.NodeID, index raft.Index, term raft.Term, digest [sha256.Size]byte, applied raft.Index) *Violation {
	if index > applied {
		return &Violation{Invariant: "compact-past-applied", Node: id, Term: term, Index: index,
			Message: fmt.Sprintf("node %d made a snapshot at index %d, but its state machine has applied only %d", id, index, applied)}
	}
	if v := iv.checkSnapshotTerm(id, index, term); v != nil {
		return v
	}
	return iv.checkDigest(id, index, digest, "made a snapshot of")
}

// ObserveCompact is called when node id's storage discards its entries up
// to index, with the state machine's applied index.
func (iv *Invariants) ObserveCompact(id raft.NodeID, index, applied raft.Index) *Violation {
	if index > applied {
		return &Violation{Invariant: "compact-past-applied", Node: id, Index: index,
			Message: fmt.Sprintf("node %d compacted its log to index %d, but its state machine has applied only %d", id, index, applied)}
	}
	return nil
}

// ObserveRestore is called when node id's state machine is reset to a
// snapshot (index, term), with the digest of its state after the reset.
func (iv *Invariants) ObserveRestore(id raft.NodeID, index raft.Index, term raft.Term, digest [sha256.Size]byte) *Violation {
	nf := iv.node(id)
	if index <= nf.applied {
		return &Violation{Invariant: "applied-monotonic", Node: id, Term: term, Index: index,
			Message: fmt.Sprintf("node %d restored a snapshot at index %d after applying through %d: its state moved back", id, index, nf.applied)}
	}
	if v := iv.checkSnapshotTerm(id, index, term); v != nil {
		return v
	}
	if v := iv.checkDigest(id, index, digest, "restored"); v != nil {
		return v
	}
	nf.applied = index
	// Every snapshot is made from applied state, so the reference log
	// already reaches index; if not, the entries it covers are known from
	// now on only as covered (term 0), and filled in by the first node to
	// apply them.
	for len(iv.applied) < int(index-iv.appliedBase) {
		iv.applied = append(iv.applied, entryFacts{})
	}
	return nil
}

// WantsDigest reports whether some node snapshotted index, so that a node
// applying it should report the digest of its state (ObserveDigest).
func (iv *Invariants) WantsDigest(index raft.Index) bool {
	_, ok := iv.snaps.digests[index]
	return ok
}

// ObserveDigest is called with the digest of node id's state machine just
// after it applied index.
func (iv *Invariants) ObserveDigest(id raft.NodeID, index raft.Index, digest [sha256.Size]byte) *Violation {
	return iv.checkDigest(id, index, digest, "applied")
}

// checkDigest compares a node's state at index with the state recorded
// there, or records it.
func (iv *Invariants) checkDigest(id raft.NodeID, index raft.Index, digest [sha256.Size]byte, what string) *Violation {
	sf := &iv.snaps
	if rec, ok := sf.digests[index]; ok {
		if rec.digest != digest {
			return &Violation{Invariant: "snapshot-digest", Node: id, Index: index,
				Message: fmt.Sprintf("node %d %s index %d with state %x, but node %d %s it with state %x", id, what, index, digest[:8], rec.node, rec.what, rec.digest[:8])}
		}
		return nil
	}
	if len(sf.order) == digestsMax {
		delete(sf.digests, sf.order[0])
		sf.order = append(sf.order[:0], sf.order[1:]...)
	}
	sf.digests[index] = digestRecord{digest: digest, node: id, what: what}
	sf.order = append(sf.order, index)
	return nil
}

// checkSnapshotTerm checks a snapshot's last entry against the entry
// applied at its index.
func (iv *Invariants) checkSnapshotTerm(id raft.NodeID, index raft.Index, term raft.Term) *Violation {
	if k := int(index-iv.appliedBase) - 1; k >= 0 && k < len(iv.applied) {
		if ref := iv.applied[k].term; ref != 0 && ref != term {
			return &Violation{Invariant: "log-matching", Node: id, Term: term, Index: index,
				Message: fmt.Sprintf("node %d holds a snapshot whose last entry, index %d, has term %d, where the entry applied there has term %d", id, index, term, ref)}
		}
	}
	return nil
}

// execKey fingerprints a client command's session (client, seq), or is 0
// for none. Collisions only weaken the check.
func execKey(client, seq uint64) uint64 {
	if client == 0 {
		return 0
	}
	return hashData([]byte{
		byte(client), byte(client >> 8), byte(client >> 16), byte(client >> 24),
		byte(client >> 32), byte(client >> 40), byte(client >> 48), byte(client >> 56),
		byte(seq), byte(seq >> 8), byte(seq >> 16), byte(seq >> 24),
		byte(seq >> 32), byte(seq >> 40), byte(seq >> 48), byte(seq >> 56),
	}) | 1
}

// execWhat says what a replica did with the command at an index.
func execWhat(exec uint64) string {
	if exec == 0 {
		return "did not execute it (a retry, or no command)"
	}
	return "executed it"
}
