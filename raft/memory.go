package raft

import "fmt"

// MemoryStorage is a Storage held in memory, with an explicit durability
// boundary: writes since the last Sync are lost by DiscardUnsynced, as a
// crash would lose what the disk had not yet made durable. The simulator
// keeps one per node across simulated crashes.
type MemoryStorage struct {
	hs      HardState
	entries []Entry // entries[i] has index i+1

	// The durable state is synced, plus entries[:durableKeep] followed by
	// durableTail: an unsynced truncation saves the durable entries it
	// overwrote, so a crash can bring them back.
	// Invariant: durableKeep <= len(entries).
	synced      HardState
	durableKeep int
	durableTail []Entry

	// Syncs counts successful Sync calls; Writes counts Append and
	// SetHardState calls.
	Syncs, Writes uint64
}

// NewMemoryStorage returns an empty store.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// InitialState implements Storage.
func (s *MemoryStorage) InitialState() (HardState, error) { return s.hs, nil }

// FirstIndex implements Storage.
func (s *MemoryStorage) FirstIndex() (Index, error) { return 1, nil }

// LastIndex implements Storage.
func (s *MemoryStorage) LastIndex() (Index, error) { return Index(len(s.entries)), nil }

// Entries implements Storage.
func (s *MemoryStorage) Entries(lo, hi Index) ([]Entry, error) {
	if lo < 1 {
		return nil, ErrCompacted
	}
	if hi > Index(len(s.entries))+1 || lo > hi {
		return nil, ErrUnavailable
	}
	return s.entries[lo-1 : hi-1 : hi-1], nil
}

// Append implements Storage.
func (s *MemoryStorage) Append(ents []Entry) error {
	if len(ents) == 0 {
		return nil
	}
	s.Writes++
	at := int(ents[0].Index) - 1
	if at < 0 || at > len(s.entries) {
		return fmt.Errorf("raft: memory storage: append at index %d, log ends at %d", ents[0].Index, len(s.entries))
	}
	if at < s.durableKeep {
		// Save the durable entries about to be overwritten, ahead of any
		// saved earlier (those lie further right).
		saved := make([]Entry, 0, s.durableKeep-at+len(s.durableTail))
		saved = append(saved, s.entries[at:s.durableKeep]...)
		s.durableTail = append(saved, s.durableTail...)
		s.durableKeep = at
	}
	if at < len(s.entries) {
		// Cut capacity so that slices returned by Entries before the
		// truncation stay intact.
		s.entries = s.entries[:at:at]
	}
	s.entries = appendEntries(s.entries, ents)
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
	s.durableKeep = len(s.entries)
	s.durableTail = nil
	return nil
}

// DiscardUnsynced drops every write since the last Sync, as a crash does.
func (s *MemoryStorage) DiscardUnsynced() {
	s.hs = s.synced
	s.entries = append(s.entries[:s.durableKeep:s.durableKeep], s.durableTail...)
	s.durableTail = nil
}

// Unsynced reports whether any write awaits a Sync.
func (s *MemoryStorage) Unsynced() bool {
	return s.hs != s.synced || s.durableKeep != len(s.entries) || len(s.durableTail) > 0
}
