package raft

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Log compaction (§7). The caller takes a snapshot of its state machine
// and hands it to Compact; the node keeps it (to send to followers that
// need what it discards), drops the log up to it but SnapshotKeep entries
// behind, and asks the caller, through the next Ready, to store the
// snapshot and then compact the storage the same way. A follower missing
// entries the leader has compacted away receives the snapshot instead
// (transfer.go) and installs it through Ready as well.

// SnapshotDue reports whether the compaction policy asks for a snapshot
// now: Config.SnapshotEvery is set and the state machine has applied at
// least that many entries since the node's latest snapshot. The caller
// then passes the state machine's snapshot to Compact. Never while the
// state machine is ahead of a log its storage lost (Status().AppliedFloor):
// its state is that of an entry the log does not hold yet.
func (n *Node) SnapshotDue() bool {
	e := n.cfg.SnapshotEvery
	return e > 0 && !n.log.snapRestore && n.log.applyFloor == 0 && n.log.applied >= n.log.snapIndex()+Index(e)
}

// Compact makes data, the state machine's state after applying every
// entry up to index, the node's snapshot, and discards the log up to
// index except the Config.SnapshotKeep entries just before it, which stay
// for followers that lag a little (they catch up by entries, not by a
// snapshot). The next Ready carries the snapshot to store and the index
// up to which storage may discard entries (Ready.Snapshot, Ready.Compact).
//
// index must be applied (at most Status().Applied, which Advance raises):
// a snapshot of state the state machine has not reached would claim
// entries it does not hold. It must be above the node's latest snapshot.
// Compact keeps data, which must not change afterwards.
func (n *Node) Compact(index Index, data []byte) error {
	l := n.log
	if index <= l.snapIndex() || l.snapRestore {
		return fmt.Errorf("%w: index %d, latest snapshot at %d", ErrSnapshotOutOfDate, index, l.snapIndex())
	}
	if index > l.applied {
		return fmt.Errorf("%w: index %d, applied %d", ErrCompactUnapplied, index, l.applied)
	}
	t, ok := l.term(index)
	if !ok {
		panic(fmt.Sprintf("raft: node %d: no term for applied index %d (log [%d, %d])", n.id, index, l.first, l.lastIndex()))
	}
	cs := n.confStateAt(index)
	l.snap = &Snapshot{Meta: SnapshotMeta{Index: index, Term: t, ConfState: cs}, Data: data}
	n.rebaseConfs(index, cs.clone())
	l.snapUnstable = true
	c := index - min(index, Index(n.cfg.SnapshotKeep))
	if c >= l.first {
		l.compactTo(c)
	}
	if c > 0 {
		l.compact = max(l.compact, c)
	}
	n.checkInvariants()
	return nil
}

// compactTo discards the entries up to c, which the state machine has
// applied. Slices of them handed out earlier stay valid.
func (l *raftLog) compactTo(c Index) {
	if c < l.first || c > l.applied || c > l.snapIndex() {
		panic(fmt.Sprintf("raft: compacting to %d (log [%d, %d], applied %d, snapshot %d)", c, l.first, l.lastIndex(), l.applied, l.snapIndex()))
	}
	t, _ := l.term(c)
	l.entries.dropFront(int(c - l.first + 1))
	l.first, l.prevTerm = c+1, t
	l.verified = max(l.verified, c)
}

// restore replaces the log with snapshot s from the leader (§7: "discard
// the entire log"); the caller has made sure the log does not hold the
// snapshot's last entry. The state machine will be reset from it.
func (l *raftLog) restore(s *Snapshot) {
	l.entries.reset()
	l.first, l.prevTerm = s.Meta.Index+1, s.Meta.Term
	l.snap, l.snapUnstable, l.snapInstalled, l.snapRestore = s, true, true, true
	if l.applyFloor >= s.Meta.Index {
		// The state machine is past the snapshot already (repair.go):
		// only the log takes it.
		l.snapRestore = false
	}
	l.compact = 0
	l.committed = s.Meta.Index
	// A correct node is always behind a snapshot it installs; a planted
	// bug may install an older one, and its applied index then falls back
	// to it, as the state machine's will.
	l.applied = min(l.applied, s.Meta.Index)
	if !l.snapRestore {
		l.applied = s.Meta.Index
	}
	if l.applyFloor <= l.applied {
		l.applyFloor = 0
	}
	l.stable = s.Meta.Index
	l.verified = s.Meta.Index
}

// advanceSnapshot records what the caller did with a Ready's snapshot and
// compaction: stored the snapshot (and restored the state machine from it,
// if asked), compacted the storage. A newer snapshot installed since the
// Ready was handed out stays pending.
func (l *raftLog) advanceSnapshot(rd Ready) {
	if !rd.Snapshot.IsEmpty() {
		i := rd.Snapshot.Meta.Index
		if rd.RestoreSnapshot && i > l.applied {
			l.appliedTo(i)
		}
		if l.snap != nil && l.snap.Meta.Index == i {
			l.snapUnstable, l.snapInstalled = false, false
			if rd.RestoreSnapshot {
				l.snapRestore = false
			}
		}
	}
	if rd.Compact != 0 && rd.Compact >= l.compact {
		l.compact = 0
	}
}

// rebaseConfs makes cs, the configuration at index i, the base of the
// configuration history: a snapshot covers the entries up to i now, and
// no truncation reaches below it (it is committed).
func (n *Node) rebaseConfs(i Index, cs ConfState) {
	n.confs.rebase(i, cs)
	if n.confIndex <= i {
		n.confIndex, n.confTerm = i, 0
	}
}

// handleSnapshotDone is how a follower handles a snapshot it received
// whole: ignore it if it is not ahead of the commit index, learn the
// commit index if the log holds its last entry, else install it. The
// answer is a MsgAppResp, which leaves only with the Ready that stores
// the snapshot: the follower vouches for it only once it is durable.
func (n *Node) handleSnapshotDone(s *Snapshot, from NodeID) {
	meta := s.Meta
	switch {
	case meta.Index <= n.log.committed && !bugs.On(bugs.InstallStaleSnapshot):
		// Installing it would roll the log and the state machine back to
		// an older state (handleSnapshot normally catches this earlier).
		n.send(Message{Type: MsgAppResp, To: from, Term: n.term, Index: n.log.committed})
		return
	case meta.Index > n.log.committed && n.log.matchTerm(meta.Index, meta.Term) && !bugs.Fire(bugs.DiscardLogOnInstall):
		// §7: "If existing log entry has same index and term as
		// snapshot's last included entry, retain log entries following
		// it": they match the leader's. The entries up to it are
		// committed; the state machine reaches them by applying them.
		n.log.commitTo(meta.Index)
		n.noteRepairMatch(n.term, meta.Index)
		n.liftFence()
		n.send(Message{Type: MsgAppResp, To: from, Term: n.term, Index: meta.Index})
		return
	}
	n.log.restore(s)
	// Nothing after the snapshot is left to vouch for.
	n.retractAcks(meta.Index + 1)
	// The snapshot replaces the log, and its configuration every one the
	// log held.
	n.confs = confLog{base: meta.ConfState.clone(), baseIndex: meta.Index}
	n.refreshConfig()
	n.noteRepairMatch(n.term, meta.Index)
	n.liftFence()
	n.send(Message{Type: MsgAppResp, To: from, Term: n.term, Index: meta.Index})
}
