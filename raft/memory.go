package raft

import (
	"errors"
	"fmt"
	"sort"
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
// Entries are never copied in: Append keeps the caller's slices (see the
// Storage contract), which for a Node's Ready are immutable views of its
// own log. Storing the log twice would double the memory each commit
// touches, and first touches of fresh memory dominate the commit path.
type MemoryStorage struct {
	hs HardState
	// segs holds the log as consecutive runs of entries; segs[0] starts at
	// index 1.
	segs []segment
	last Index

	// The durable state is synced, plus the log up to durableKeep
	// followed by durableTail: an unsynced truncation keeps the durable
	// runs it cut, so a crash can bring them back.
	// Invariant: durableKeep <= last.
	synced      HardState
	durableKeep Index
	durableTail []segment

	// crashed is true between Crash (or PowerLoss) and Reopen.
	crashed bool

	// Syncs counts successful Sync calls (Reopen's included); Writes
	// counts Append and SetHardState calls.
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
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// InitialState implements Storage.
func (s *MemoryStorage) InitialState() (HardState, error) {
	if s.crashed {
		return HardState{}, ErrNotReopened
	}
	return s.hs, nil
}

// FirstIndex implements Storage.
func (s *MemoryStorage) FirstIndex() (Index, error) {
	if s.crashed {
		return 0, ErrNotReopened
	}
	return 1, nil
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
	if lo < 1 {
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
// store holds it. Checkers use it to read a crashed node's log, so it
// answers between Crash and Reopen too.
func (s *MemoryStorage) Term(i Index) (Term, bool) {
	if i == 0 {
		return 0, true
	}
	if i > s.last {
		return 0, false
	}
	sg := s.segs[s.find(i)]
	return sg.ents[i-sg.first].Term, true
}

// LastHeld returns the index of the last entry the store holds. Like
// Term, it is for checkers and answers between Crash and Reopen too.
func (s *MemoryStorage) LastHeld() Index { return s.last }

// find returns the position of the segment holding index i <= last.
func (s *MemoryStorage) find(i Index) int {
	return sort.Search(len(s.segs), func(k int) bool {
		return s.segs[k].first+Index(len(s.segs[k].ents)) > i
	})
}

// truncate drops the entries after index keep and returns the runs it
// dropped.
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

func (s *MemoryStorage) push(sg segment) {
	if len(sg.ents) == 0 {
		return
	}
	s.segs = append(s.segs, sg)
	s.last = sg.first + Index(len(sg.ents)) - 1
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
	s.Writes++
	at := ents[0].Index
	if at < 1 || at > s.last+1 {
		return fmt.Errorf("raft: memory storage: append at index %d, log ends at %d", at, s.last)
	}
	cut := s.truncate(at - 1)
	if at <= s.durableKeep {
		// The cut runs up to durableKeep were durable: keep them, ahead of
		// any kept earlier (those lie further right).
		var saved []segment
		for _, sg := range cut {
			if sg.first > s.durableKeep {
				break
			}
			end := min(s.durableKeep, sg.first+Index(len(sg.ents))-1)
			saved = append(saved, segment{first: sg.first, ents: sg.ents[: end-sg.first+1 : end-sg.first+1]})
		}
		s.durableTail = append(saved, s.durableTail...)
		s.durableKeep = at - 1
	}
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
	s.synced = s.hs
	s.durableKeep = s.last
	s.durableTail = nil
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
	s.sync()
}

// DiscardUnsynced drops every write since the last Sync and leaves the
// store usable: PowerLoss and Reopen in one step, since what remains is
// durable already.
func (s *MemoryStorage) DiscardUnsynced() {
	s.hs = s.synced
	s.truncate(s.durableKeep)
	for _, sg := range s.durableTail {
		s.push(sg)
	}
	s.durableKeep = s.last
	s.durableTail = nil
}

// Unsynced reports whether any write awaits a Sync.
func (s *MemoryStorage) Unsynced() bool {
	return s.hs != s.synced || s.durableKeep != s.last || len(s.durableTail) > 0
}
