package raft

import (
	"errors"
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

// memModel is the naive reference for MemoryStorage with snapshots: the
// whole state, copied at every Sync.
type memModel struct {
	hs        HardState
	snapIndex Index
	snapTerm  Term
	first     Index
	prevTerm  Term
	terms     []Term // terms[i] is the term of entry first+i
}

func (m memModel) clone() memModel {
	m.terms = append([]Term(nil), m.terms...)
	return m
}

func (m *memModel) last() Index { return m.first + Index(len(m.terms)) - 1 }

func (m *memModel) term(i Index) (Term, bool) {
	switch {
	case i+1 == m.first:
		return m.prevTerm, true
	case i < m.first || i > m.last():
		return 0, false
	}
	return m.terms[i-m.first], true
}

// MemoryStorage with snapshots and compaction against the naive model:
// after any mix of appends, snapshots (matching the log or not),
// compactions, hard state writes, syncs and power losses, the store holds
// exactly the model's state, and a power loss restores exactly the last
// synced one.
func TestMemoryStorageSnapshotsAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewMemoryStorage()
		cur := memModel{first: 1}
		durable := cur.clone()
		for range rapid.IntRange(1, 100).Draw(t, "steps") {
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 0, 1:
				lo := max(cur.first, cur.snapIndex+1)
				if lo > cur.last()+1 {
					continue
				}
				at := Index(rapid.IntRange(int(lo), int(cur.last())+1).Draw(t, "at"))
				k := rapid.IntRange(1, 2*chunkSize+3).Draw(t, "count")
				term := Term(rapid.IntRange(1, 9).Draw(t, "term"))
				var ents []Entry
				for i := range k {
					ents = append(ents, Entry{Index: at + Index(i), Term: term})
				}
				mustR(t, s.Append(ents))
				cur.terms = cur.terms[: at-cur.first : at-cur.first]
				for range k {
					cur.terms = append(cur.terms, term)
				}
			case 2:
				i := Index(rapid.IntRange(int(cur.snapIndex)+1, int(cur.last())+5).Draw(t, "snapshot"))
				tm, held := cur.term(i)
				if !held || rapid.Bool().Draw(t, "other term") {
					tm = Term(rapid.IntRange(1, 9).Draw(t, "snapshot term"))
				}
				mustR(t, s.ApplySnapshot(Snapshot{Meta: SnapshotMeta{Index: i, Term: tm}}))
				if got, ok := cur.term(i); !ok || got != tm {
					cur.first, cur.prevTerm, cur.terms = i+1, tm, nil
				}
				cur.snapIndex, cur.snapTerm = i, tm
			case 3:
				c := Index(rapid.IntRange(0, int(cur.snapIndex)+2).Draw(t, "compact"))
				err := s.Compact(c)
				if c > cur.snapIndex {
					if err == nil {
						t.Fatalf("Compact(%d) past the snapshot at %d succeeded", c, cur.snapIndex)
					}
					continue
				}
				mustR(t, err)
				if c >= cur.first {
					cur.prevTerm, _ = cur.term(c)
					cur.terms = cur.terms[c-cur.first+1:]
					cur.first = c + 1
				}
			case 4:
				cur.hs = HardState{Term: Term(rapid.IntRange(0, 9).Draw(t, "hs"))}
				mustR(t, s.SetHardState(cur.hs))
			case 5:
				mustR(t, s.Sync())
				durable = cur.clone()
				if s.Unsynced() {
					t.Fatal("Unsynced after Sync")
				}
			case 6:
				s.PowerLoss()
				s.Reopen()
				cur = durable.clone()
				if s.Unsynced() {
					t.Fatal("Unsynced after a power loss and Reopen")
				}
			}
			checkAgainstModel(t, s, &cur)
		}
	})
}

func checkAgainstModel(t *rapid.T, s *MemoryStorage, m *memModel) {
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	if first != m.first || last != m.last() {
		t.Fatalf("store holds [%d, %d], model [%d, %d]", first, last, m.first, m.last())
	}
	snap, _ := s.Snapshot()
	if snap.Meta.Index != m.snapIndex || snap.Meta.Term != m.snapTerm {
		t.Fatalf("store snapshot %d/%d, model %d/%d", snap.Meta.Term, snap.Meta.Index, m.snapTerm, m.snapIndex)
	}
	if first <= last {
		got, err := s.Entries(first, last+1)
		mustR(t, err)
		for i, e := range got {
			if e.Index != first+Index(i) || e.Term != m.terms[i] {
				t.Fatalf("entry %d is %d/%d, model term %d", first+Index(i), e.Term, e.Index, m.terms[i])
			}
		}
	}
	if tm, ok := s.Term(first - 1); !ok || tm != m.prevTerm {
		t.Fatalf("term before the log (%d) is %d/%v, model %d", first-1, tm, ok, m.prevTerm)
	}
	if first > 1 {
		if _, err := s.Entries(first-1, first); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Entries below the first index: %v, want ErrCompacted", err)
		}
	}
	if hs, _ := s.InitialState(); hs != m.hs {
		t.Fatalf("hard state %+v, model %+v", hs, m.hs)
	}
}

func mustR(t *rapid.T, err error) {
	if err != nil {
		t.Fatal(err)
	}
}
