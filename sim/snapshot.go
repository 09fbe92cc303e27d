package sim

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// Log compaction and snapshots (§7) in the simulator: each node compacts
// by the RaftConfig policy (a snapshot of its key-value store every
// SnapshotEvery applied entries), stores the snapshots and compactions
// its Readies carry, and restores its store from snapshots installed from
// the leader; the checker sees every step (checker/snapshots.go). Two
// nemeses aim faults at the new code: crash_on_snapshot and
// isolate_on_snapshot.

// messageHeaderBytes approximates a message's fixed size on the wire.
const messageHeaderBytes = 64

// messageBytes is what a message costs a link with a bandwidth: its
// header, its entries and its snapshot chunk.
func messageBytes(m *raft.Message) uint64 {
	size := uint64(messageHeaderBytes)
	for i := range m.Entries {
		size += 24 + uint64(len(m.Entries[i].Data))
	}
	if m.Snapshot != nil {
		size += uint64(len(m.Snapshot.Data))
	}
	return size
}

// storeSnapshot writes a Ready's snapshot (step 1, before its entries).
// It reports false if the node stopped on a storage error.
func (s *Simulator) storeSnapshot(n *node, rd raft.Ready) bool {
	if rd.Snapshot.IsEmpty() {
		return true
	}
	meta := rd.Snapshot.Meta
	held := n.store.snapshotIndex()
	if err := n.store.live().ApplySnapshot(rd.Snapshot); err != nil {
		s.diskError(n, fmt.Sprintf("apply_snapshot %d", meta.Index), err)
		return false
	}
	if n.store.snapshotIndex() == held {
		// The store holds it, or a newer one, already: a restart handing
		// the stored snapshot to the state machine again.
		return true
	}
	what := "store"
	if rd.RestoreSnapshot {
		what = "install"
	}
	s.trace(TraceEvent{Kind: TraceSnapshot, Node: n.id, Term: meta.Term, Index: meta.Index, N: uint64(len(rd.Snapshot.Data)), Text: what})
	s.onSnapshotWritten(n)
	return true
}

// storeCompaction carries out a Ready's compaction (step 1, after its
// snapshot and entries). It reports false if the node stopped on a
// storage error.
func (s *Simulator) storeCompaction(n *node, rd raft.Ready) bool {
	if rd.Compact == 0 {
		return true
	}
	if err := n.store.live().Compact(rd.Compact); err != nil {
		s.diskError(n, fmt.Sprintf("compact %d", rd.Compact), err)
		return false
	}
	s.trace(TraceEvent{Kind: TraceSnapshot, Node: n.id, Index: rd.Compact, Text: "compact"})
	if s.inv != nil {
		s.violation(s.inv.ObserveCompact(n.id, rd.Compact, n.sm.AppliedIndex()), n.id)
	}
	return true
}

// restoreSnapshot resets the node's state machine to a snapshot (step 3).
// It reports false, and stops the run, if the bytes do not restore.
func (s *Simulator) restoreSnapshot(n *node, snap raft.Snapshot) bool {
	meta := snap.Meta
	// Entries queued for a lagging state machine (Disk.ApplyLag) that the
	// snapshot covers are in it already.
	n.applyQueue = slices.DeleteFunc(n.applyQueue, func(e raft.Entry) bool { return e.Index <= meta.Index })
	if err := n.sm.Restore(snap.Data); err != nil {
		s.violation(&checker.Violation{Invariant: "snapshot-restore", Node: n.id, Term: meta.Term, Index: meta.Index,
			Message: fmt.Sprintf("node %d cannot restore the snapshot at index %d: %v", n.id, meta.Index, err)}, n.id)
		return false
	}
	if got := n.sm.AppliedIndex(); got != meta.Index {
		s.violation(&checker.Violation{Invariant: "snapshot-restore", Node: n.id, Term: meta.Term, Index: meta.Index,
			Message: fmt.Sprintf("node %d restored the snapshot at index %d to a state at index %d", n.id, meta.Index, got)}, n.id)
		return false
	}
	s.trace(TraceEvent{Kind: TraceSnapshot, Node: n.id, Term: meta.Term, Index: meta.Index, Text: "restore"})
	if s.inv != nil {
		s.violation(s.inv.ObserveRestore(n.id, meta.Index, meta.Term, n.sm.Digest()), n.id)
	}
	return !s.stopped
}

// maybeCompact makes a snapshot when the policy asks for one (after
// Advance, so that the core knows what the state machine applied).
func (s *Simulator) maybeCompact(n *node) {
	if !n.rn.SnapshotDue() || len(n.applyQueue) > 0 {
		// A lagging state machine snapshots once it has caught up.
		return
	}
	index := n.sm.AppliedIndex()
	term, _ := n.rn.Term(index)
	data := n.sm.Snapshot()
	if err := n.rn.Compact(index, data); err != nil {
		panic(fmt.Sprintf("sim: node %d: Compact(%d): %v", n.id, index, err))
	}
	s.trace(TraceEvent{Kind: TraceSnapshot, Node: n.id, Term: term, Index: index, N: uint64(len(data)), Text: "make"})
	if s.inv != nil {
		s.violation(s.inv.ObserveSnapshot(n.id, index, term, sha256.Sum256(data), n.sm.AppliedIndex()), n.id)
	}
}

// snapshotNemesis is the state of crash_on_snapshot or
// isolate_on_snapshot; until is 0 when it was never started.
type snapshotNemesis struct {
	until            clock.Time
	within           time.Duration
	backMin, backMax time.Duration
	powerLoss        bool
	sender           bool
}

// Event refs of evSnapNemesis.
const (
	snapCrashDown = iota + 1
	snapCrashUp
	snapIsolateCut
	snapIsolateRejoin
	snapEnd
)

func (s *Simulator) startSnapshotNemesis(a *Action) {
	m := snapshotNemesis{until: clock.Time(0).Add(a.Until), within: a.After, backMin: a.RestartAfter,
		backMax: max(a.RestartAfter, a.RestartAfterMax), powerLoss: a.PowerLoss, sender: a.Sender}
	if a.Kind == ActCrashOnSnapshot {
		s.snapCrash = m
		how := "crash"
		if a.PowerLoss {
			how = "power loss"
		}
		on := "snapshot writes"
		if a.Sender {
			on = "snapshot senders"
		}
		s.faults.start(s.now, "crash", nil, fmt.Sprintf("%s: %s within %v", on, how, a.After))
	} else {
		s.snapIsolate = m
		who := "receivers"
		if a.Sender {
			who = "senders"
		}
		s.faults.start(s.now, "partition", nil, fmt.Sprintf("isolate snapshot %s within %v", who, a.After))
	}
	s.schedule(event{at: m.until, kind: evSnapNemesis, ref: snapEnd, inc: uint32(a.Kind)})
}

// draw draws a delay from [0, within], from the fault stream.
func (s *Simulator) drawWithin(within time.Duration) time.Duration {
	if within <= 0 {
		return 0
	}
	return time.Duration(s.faultRand.Int64N(int64(within) + 1))
}

func (s *Simulator) drawBack(m *snapshotNemesis) time.Duration {
	d := m.backMin
	if m.backMax > m.backMin {
		d += time.Duration(s.faultRand.Int64N(int64(m.backMax-m.backMin) + 1))
	}
	return d
}

// onSnapshotWritten arms crash_on_snapshot against a node that just wrote
// a snapshot to its storage.
func (s *Simulator) onSnapshotWritten(n *node) {
	if s.healing || s.now >= s.snapCrash.until || s.snapCrash.sender {
		return
	}
	s.schedule(event{at: s.now.Add(s.drawWithin(s.snapCrash.within)), kind: evSnapNemesis, node: n.pos, inc: n.inc, ref: snapCrashDown})
}

// onSnapshotMessage arms isolate_on_snapshot when a leader starts a
// snapshot transfer (its first chunk).
func (s *Simulator) onSnapshotMessage(m *raft.Message) {
	if m.Type != raft.MsgSnap || m.Snapshot.Offset != 0 || s.healing {
		return
	}
	if s.now < s.snapCrash.until && s.snapCrash.sender {
		n := s.nodes[m.From-1]
		s.schedule(event{at: s.now.Add(s.drawWithin(s.snapCrash.within)), kind: evSnapNemesis, node: n.pos, inc: n.inc, ref: snapCrashDown})
	}
	if s.now < s.snapIsolate.until {
		target := m.To
		if s.snapIsolate.sender {
			target = m.From
		}
		n := s.nodes[target-1]
		s.schedule(event{at: s.now.Add(s.drawWithin(s.snapIsolate.within)), kind: evSnapNemesis, node: n.pos, inc: n.inc, ref: snapIsolateCut})
	}
}

func (s *Simulator) onSnapshotNemesis(e event) {
	n := s.nodes[e.node]
	switch e.ref {
	case snapEnd:
		if ActionKind(e.inc) == ActCrashOnSnapshot {
			s.faults.stopLabel(s.now, "crash", "snapshot ")
		} else {
			s.faults.stopLabel(s.now, "partition", "isolate snapshot")
		}
	case snapCrashDown:
		if !n.up || n.inc != e.inc || s.healing {
			return
		}
		how := "crash"
		if s.snapCrash.powerLoss {
			how = "power_loss"
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "crash_on_snapshot: " + how})
		s.crash(n, s.snapCrash.powerLoss)
		s.schedule(event{at: s.now.Add(s.drawBack(&s.snapCrash)), kind: evSnapNemesis, node: n.pos, inc: n.inc, ref: snapCrashUp})
	case snapCrashUp:
		if n.up || n.inc != e.inc {
			return
		}
		s.restart(n)
	case snapIsolateCut:
		if !n.up || n.inc != e.inc || s.healing || s.isolated[n.pos] {
			return
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "isolate_on_snapshot: isolate"})
		s.isolateNodes([]raft.NodeID{n.id})
		s.schedule(event{at: s.now.Add(s.drawBack(&s.snapIsolate)), kind: evSnapNemesis, node: n.pos, ref: snapIsolateRejoin})
	case snapIsolateRejoin:
		if !s.isolated[n.pos] {
			return // a heal or a reconnect came first
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "isolate_on_snapshot: reconnect"})
		s.reconnectNodes([]raft.NodeID{n.id})
	}
}
