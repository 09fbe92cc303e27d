package raft

import (
	"testing"

	"pgregory.net/rapid"
)

// MemoryStorage against a model that keeps the durable state as a plain
// copy: after any mix of appends (with truncation), hard state writes,
// syncs and crashes, DiscardUnsynced restores exactly the last synced
// state.
func TestMemoryStorageSyncBoundary(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewMemoryStorage()
		var cur, durable []Term
		var hs, durableHS HardState
		for range rapid.IntRange(1, 80).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				at := rapid.IntRange(0, len(cur)).Draw(t, "at")
				k := rapid.IntRange(1, 2*chunkSize+3).Draw(t, "count")
				term := Term(rapid.IntRange(1, 9).Draw(t, "term"))
				var ents []Entry
				for i := range k {
					ents = append(ents, Entry{Index: Index(at + i + 1), Term: term})
				}
				if err := s.Append(ents); err != nil {
					t.Fatal(err)
				}
				cur = cur[:at:at]
				for range k {
					cur = append(cur, term)
				}
			case 1:
				hs = HardState{Term: Term(rapid.IntRange(0, 9).Draw(t, "hs"))}
				_ = s.SetHardState(hs)
			case 2:
				_ = s.Sync()
				durable, durableHS = append([]Term(nil), cur...), hs
				if s.Unsynced() {
					t.Fatal("Unsynced after Sync")
				}
			case 3:
				s.DiscardUnsynced()
				cur, hs = append([]Term(nil), durable...), durableHS
				if s.Unsynced() {
					t.Fatal("Unsynced after DiscardUnsynced")
				}
			}
			last, _ := s.LastIndex()
			if int(last) != len(cur) {
				t.Fatalf("last index %d, want %d", last, len(cur))
			}
			got, _ := s.Entries(1, last+1)
			for i, e := range got {
				if e.Term != cur[i] || e.Index != Index(i+1) {
					t.Fatalf("entry %d is %d/%d, want %d/%d", i+1, e.Term, e.Index, cur[i], i+1)
				}
			}
			if g, _ := s.InitialState(); g != hs {
				t.Fatalf("hard state %+v, want %+v", g, hs)
			}
		}
	})
}
