package raft

import (
	"fmt"
	"sort"
)

// MemoryStorage is a Storage held in memory, with an explicit durability
// boundary: writes since the last Sync are lost by DiscardUnsynced, as a
// crash would lose what the disk had not yet made durable. The simulator
// keeps one per node across simulated crashes.
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

	// Syncs counts successful Sync calls; Writes counts Append and
	// SetHardState calls.
	Syncs, Writes uint64
}

// segment is a run of consecutive entries starting at first.
type segment struct {
	first Index
	ents  []Entry
}

// NewMemoryStorage returns an empty store.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// InitialState implements Storage.
func (s *MemoryStorage) InitialState() (HardState, error) { return s.hs, nil }

// FirstIndex implements Storage.
func (s *MemoryStorage) FirstIndex() (Index, error) { return 1, nil }

// LastIndex implements Storage.
func (s *MemoryStorage) LastIndex() (Index, error) { return s.last, nil }

// Entries implements Storage. It returns a copy.
func (s *MemoryStorage) Entries(lo, hi Index) ([]Entry, error) {
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
// store holds it. Checkers use it to read a crashed node's log.
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
	s.Writes++
	s.hs = hs
	return nil
}

// Sync implements Storage: everything written so far becomes durable.
func (s *MemoryStorage) Sync() error {
	s.Syncs++
	s.synced = s.hs
	s.durableKeep = s.last
	s.durableTail = nil
	return nil
}

// DiscardUnsynced drops every write since the last Sync, as a crash does.
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
