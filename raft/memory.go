package raft

import (
	"errors"
	"fmt"
	"sort"

	"github.com/raftsim/raftsim/raft/bugs"
)

// MemoryStorage is a Storage held in memory, with an explicit durability
// boundary, so that a simulator can keep one per node across crashes and
// model what a disk keeps:
//
//   - Crash: the process dies, the machine does not. Writes not yet synced
//     stay where an OS page cache would keep them: present, not durable.
//   - PowerLoss: the machine dies too; every write since the last Sync is
//     gone (DiscardUnsynced).
//   - Reopen: a new process opens the store. What it presents from then on
//     is durable: Reopen syncs it, as filestore.Open fsyncs what it
//     recovered. This is the Storage contract for a restart (see Storage);
//     without it a restarted node would acknowledge, vote on and apply
//     writes that a later power loss takes back.
//
// Between Crash (or PowerLoss) and Reopen the store refuses every call of
// the Storage interface with ErrNotReopened, so a node cannot be started
// on a store that skipped the reopen. Term and LastHeld, for checkers,
// still answer.
//
// A snapshot and a compaction have the same durability boundary as every
// other write: PowerLoss takes back an unsynced snapshot, and with it any
// compaction since the last Sync (the discarded entries return), but never
// a synced one.
//
// Entries are never copied in: Append keeps the caller's slices (see the
// Storage contract), which for a Node's Ready are immutable views of its
// own log. Storing the log twice would double the memory each commit
// touches, and first touches of fresh memory dominate the commit path.
type MemoryStorage struct {
	hs   HardState
	snap Snapshot
	// segs holds the log, entries first..last, as consecutive runs; the
	// entry at first-1 (compacted, or the snapshot's last) has term
	// prevTerm. Compact only moves first: the runs it leaves dead go at
	// the next Sync, so a compaction costs nothing to write or to undo.
	// Invariant: first-1 <= snap.Meta.Index <= last; segs start at or
	// before first.
	segs     []segment
	first    Index
	prevTerm Term
	last     Index

	// The durable state is synced and syncedSnap, and the log that starts
	// at syncedFirst (after an entry of term syncedPrevTerm): durableHead,
	// then segs up to durableKeep, then durableTail. An unsynced snapshot
	// that replaced the log keeps the durable runs it discarded in
	// durableHead, an unsynced truncation those it cut in durableTail, so
	// that a crash can bring them back. Sync forgets both.
	// Invariant: durableHead ends just before segs start (or holds
	// everything up to durableKeep), and durableTail starts at
	// durableKeep+1; durableKeep <= last.
	synced         HardState
	syncedSnap     Snapshot
	syncedFirst    Index
	syncedPrevTerm Term
	durableHead    []segment
	durableKeep    Index
	durableTail    []segment

	// crashed is true between Crash (or PowerLoss) and Reopen.
	crashed bool

	// Syncs counts successful Sync calls (Reopen's included); Writes
	// counts Append, SetHardState, ApplySnapshot and Compact calls that
	// changed something.
	Syncs, Writes uint64
}

// ErrNotReopened is returned by a MemoryStorage used after Crash or
// PowerLoss without Reopen.
var ErrNotReopened = errors.New("raft: memory storage: used after a crash without Reopen")

// segment is a run of consecutive entries starting at first.
type segment struct {
	first Index
	ents  []Entry
}

// NewMemoryStorage returns an empty store.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{first: 1, syncedFirst: 1} }

// InitialState implements Storage.
func (s *MemoryStorage) InitialState() (HardState, error) {
	if s.crashed {
		return HardState{}, ErrNotReopened
	}
	return s.hs, nil
}

// Snapshot implements Storage.
func (s *MemoryStorage) Snapshot() (Snapshot, error) {
	if s.crashed {
		return Snapshot{}, ErrNotReopened
	}
	return s.snap, nil
}

// FirstIndex implements Storage.
func (s *MemoryStorage) FirstIndex() (Index, error) {
	if s.crashed {
		return 0, ErrNotReopened
	}
	return s.first, nil
}

// LastIndex implements Storage.
func (s *MemoryStorage) LastIndex() (Index, error) {
	if s.crashed {
		return 0, ErrNotReopened
	}
	return s.last, nil
}

// Entries implements Storage. It returns a copy.
func (s *MemoryStorage) Entries(lo, hi Index) ([]Entry, error) {
	if s.crashed {
		return nil, ErrNotReopened
	}
	if lo < s.first {
		return nil, ErrCompacted
	}
	if hi > s.last+1 || lo > hi {
		return nil, ErrUnavailable
	}
	out := make([]Entry, 0, hi-lo)
	for k := s.find(lo); lo < hi; k++ {
		sg := s.segs[k]
		end := min(hi, sg.first+Index(len(sg.ents)))
		out = append(out, sg.ents[lo-sg.first:end-sg.first]...)
		lo = end
	}
	return out, nil
}

// Term returns the term of the entry at i (0 at index 0) and whether the
// store knows it: i is held, or is the last entry compacted or replaced
// by the snapshot. Checkers use it to read a crashed node's log, so it
// answers between Crash and Reopen too.
func (s *MemoryStorage) Term(i Index) (Term, bool) {
	switch {
	case i == 0:
		return 0, true
	case i+1 == s.first:
		return s.prevTerm, true
	case i < s.first || i > s.last:
		return 0, false
	}
	sg := s.segs[s.find(i)]
	return sg.ents[i-sg.first].Term, true
}

// LastHeld returns the index of the last entry the store holds (or its
// snapshot's, if the log after it is empty). Like Term, it is for
// checkers and answers between Crash and Reopen too.
func (s *MemoryStorage) LastHeld() Index { return s.last }

// FirstHeld returns the index of the first entry the store holds. Like
// Term, it answers between Crash and Reopen too.
func (s *MemoryStorage) FirstHeld() Index { return s.first }

// SnapshotIndex returns the index of the snapshot the store holds, or 0.
// Like Term, it answers between Crash and Reopen too.
func (s *MemoryStorage) SnapshotIndex() Index { return s.snap.Meta.Index }

// HeldConfig returns the configuration a node restarted on the store
// would run with, and the index of the entry that set it (StoredConfig).
// Like Term, it is for checkers and answers between Crash and Reopen too:
// it reads what the store holds now, which Reopen makes durable.
func (s *MemoryStorage) HeldConfig(initial []NodeID) (ConfState, Index, error) {
	crashed := s.crashed
	s.crashed = false
	defer func() { s.crashed = crashed }()
	return StoredConfig(s, initial)
}

// find returns the position of the segment holding index i in
// [first, last].
func (s *MemoryStorage) find(i Index) int {
	return sort.Search(len(s.segs), func(k int) bool {
		return s.segs[k].first+Index(len(s.segs[k].ents)) > i
	})
}

// truncate drops the entries after index keep (first-1 <= keep) and
// returns the runs it dropped.
func (s *MemoryStorage) truncate(keep Index) []segment {
	if keep >= s.last {
		return nil
	}
	k := s.find(keep + 1)
	sg := s.segs[k]
	var cut []segment
	if n := keep + 1 - sg.first; n > 0 {
		// Re-slicing only: the entries themselves are never written.
		cut = append(cut, segment{first: keep + 1, ents: sg.ents[n:]})
		s.segs[k].ents = sg.ents[:n:n]
		k++
	}
	cut = append(cut, s.segs[k:]...)
	clear(s.segs[k:])
	s.segs = s.segs[:k]
	s.last = keep
	return cut
}

// dropFront discards the runs holding entries up to index c (from the
// first run's first entry to last) and returns them, cut at c; the
// caller sets first.
func (s *MemoryStorage) dropFront(c Index) []segment {
	k := s.find(c)
	sg := s.segs[k]
	n := c + 1 - sg.first
	cut := append([]segment(nil), s.segs[:k]...)
	cut = append(cut, segment{first: sg.first, ents: sg.ents[:n:n]})
	if int(n) == len(sg.ents) {
		k++
	} else {
		s.segs[k] = segment{first: c + 1, ents: sg.ents[n:]}
	}
	s.dropSegs(k)
	return cut
}

// dropSegs removes the first k runs. It moves the rest down rather than
// re-slicing past them: a log whose front is compacted as its back grows
// is a queue, and a re-sliced queue loses the capacity in front of it and
// reallocates all its runs every few appends (garbage on every commit).
func (s *MemoryStorage) dropSegs(k int) {
	if k == 0 {
		return
	}
	n := copy(s.segs, s.segs[k:])
	clear(s.segs[n:])
	s.segs = s.segs[:n]
}

// clip returns the parts of runs at or below index hi.
func clip(runs []segment, hi Index) []segment {
	var out []segment
	for _, sg := range runs {
		if sg.first > hi {
			break
		}
		end := min(hi, sg.first+Index(len(sg.ents))-1)
		out = append(out, segment{first: sg.first, ents: sg.ents[: end-sg.first+1 : end-sg.first+1]})
	}
	return out
}

func (s *MemoryStorage) push(sg segment) {
	if len(sg.ents) == 0 {
		return
	}
	s.segs = append(s.segs, sg)
	s.last = sg.first + Index(len(sg.ents)) - 1
}

// cutAfter truncates the log after keep, saving the durable runs it cuts.
func (s *MemoryStorage) cutAfter(keep Index) {
	cut := s.truncate(keep)
	if keep < s.durableKeep {
		// The cut runs up to durableKeep were durable: keep them, ahead of
		// any kept earlier (those lie further right).
		s.durableTail = append(clip(cut, s.durableKeep), s.durableTail...)
		s.durableKeep = keep
	}
}

// discardTo discards the runs holding entries up to c (at least the
// first run's first entry, at most last), saving the durable ones.
func (s *MemoryStorage) discardTo(c Index) {
	s.durableHead = append(s.durableHead, clip(s.dropFront(c), s.durableKeep)...)
}

// dropDead releases the runs wholly before first: compacted, and durably
// so (Sync calls it).
func (s *MemoryStorage) dropDead() {
	k := 0
	for k < len(s.segs) && s.segs[k].first+Index(len(s.segs[k].ents)) <= s.first {
		k++
	}
	s.dropSegs(k)
}

// Append implements Storage. It keeps ents: the caller must not modify
// them afterwards.
func (s *MemoryStorage) Append(ents []Entry) error {
	if s.crashed {
		return ErrNotReopened
	}
	if len(ents) == 0 {
		return nil
	}
	at := ents[0].Index
	if at < s.first || at > s.last+1 {
		return fmt.Errorf("raft: memory storage: append at index %d, log holds [%d, %d]", at, s.first, s.last)
	}
	if at <= s.snap.Meta.Index {
		return fmt.Errorf("raft: memory storage: append at index %d, inside the snapshot at %d", at, s.snap.Meta.Index)
	}
	s.Writes++
	s.cutAfter(at - 1)
	s.push(segment{first: at, ents: ents[:len(ents):len(ents)]})
	return nil
}

// SetHardState implements Storage.
func (s *MemoryStorage) SetHardState(hs HardState) error {
	if s.crashed {
		return ErrNotReopened
	}
	s.Writes++
	s.hs = hs
	return nil
}

// ApplySnapshot implements Storage.
func (s *MemoryStorage) ApplySnapshot(snap Snapshot) error {
	if s.crashed {
		return ErrNotReopened
	}
	i := snap.Meta.Index
	if i == 0 || snap.Meta.Term == 0 {
		return fmt.Errorf("raft: memory storage: snapshot %d/%d has no index or term", snap.Meta.Term, i)
	}
	if i <= s.snap.Meta.Index {
		return nil
	}
	s.Writes++
	if t, ok := s.Term(i); !ok || t != snap.Meta.Term {
		// §7: the log does not hold the snapshot's last entry; it is
		// replaced whole.
		s.cutAfter(min(i, s.last))
		if hi := min(i, s.last); len(s.segs) > 0 && hi >= s.segs[0].first {
			s.discardTo(hi)
		}
		s.segs, s.first, s.prevTerm, s.last = nil, i+1, snap.Meta.Term, i
	}
	s.snap = snap
	return nil
}

// Compact implements Storage.
func (s *MemoryStorage) Compact(index Index) error {
	if s.crashed {
		return ErrNotReopened
	}
	if index > s.snap.Meta.Index {
		return fmt.Errorf("raft: memory storage: compacting to %d, past the snapshot at %d", index, s.snap.Meta.Index)
	}
	if index < s.first {
		return nil
	}
	s.Writes++
	t, _ := s.Term(index)
	s.first, s.prevTerm = index+1, t
	if index > s.syncedSnap.Meta.Index && bugs.Fire(bugs.CompactBeforeSnapshotSync) {
		// The discard is durable at once, before the snapshot that
		// covers it: a power loss now leaves a log that starts after
		// the durable snapshot ends.
		s.syncedFirst, s.syncedPrevTerm = s.first, s.prevTerm
	}
	return nil
}

// Sync implements Storage: everything written so far becomes durable.
func (s *MemoryStorage) Sync() error {
	if s.crashed {
		return ErrNotReopened
	}
	s.sync()
	return nil
}

func (s *MemoryStorage) sync() {
	s.Syncs++
	s.synced, s.syncedSnap = s.hs, s.snap
	s.syncedFirst, s.syncedPrevTerm = s.first, s.prevTerm
	s.durableHead = nil
	s.durableKeep = s.last
	s.durableTail = nil
	s.dropDead()
}

// Crash models the death of the process using the store: unsynced writes
// stay, not durable, until Reopen makes them durable or PowerLoss drops
// them. Calling it on a crashed store changes nothing.
func (s *MemoryStorage) Crash() { s.crashed = true }

// PowerLoss models the loss of the machine: every write since the last
// Sync is gone, whether the process was still running or had crashed.
func (s *MemoryStorage) PowerLoss() {
	s.DiscardUnsynced()
	s.crashed = true
}

// Reopen is what a restarting process does before it hands the store to
// NewNode: everything the store presents becomes durable, as
// filestore.Open fsyncs what it recovered. Reopening a store that never
// crashed is allowed (a first start) and also syncs.
func (s *MemoryStorage) Reopen() {
	s.crashed = false
	if s.Unsynced() && bugs.Fire(bugs.ReopenWithoutSync) {
		return
	}
	s.sync()
}

// DiscardUnsynced drops every write since the last Sync and leaves the
// store usable: PowerLoss and Reopen in one step, since what remains is
// durable already.
func (s *MemoryStorage) DiscardUnsynced() {
	s.hs, s.snap = s.synced, s.syncedSnap
	var runs []segment
	if len(s.segs) > 0 && s.durableKeep >= s.segs[0].first {
		s.truncate(s.durableKeep)
		runs = s.segs
	}
	runs = append(append(s.durableHead, runs...), s.durableTail...)
	s.segs, s.first, s.prevTerm, s.last = nil, s.syncedFirst, s.syncedPrevTerm, s.syncedFirst-1
	for _, sg := range runs {
		s.push(sg)
	}
	s.durableHead, s.durableTail = nil, nil
	s.durableKeep = s.last
}

// Unsynced reports whether any write awaits a Sync.
func (s *MemoryStorage) Unsynced() bool {
	return s.hs != s.synced || s.snap.Meta.Index != s.syncedSnap.Meta.Index ||
		s.first != s.syncedFirst || s.durableKeep != s.last ||
		len(s.durableHead) > 0 || len(s.durableTail) > 0
}
