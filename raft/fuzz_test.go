package raft

import (
	"encoding/binary"
	"testing"
)

// FuzzStep feeds a node arbitrary message sequences, interleaved with
// ticks, proposals and reads, and carries out its Readies. Whatever the
// input, the node must not panic, must keep applied <= commit <= last
// index, and must never move its term back or rewrite an entry it
// applied.
func FuzzStep(f *testing.F) {
	f.Add([]byte{1, 2, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{5, 2, 3, 0, 1, 1, 2, 3, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{7, 3, 2, 0, 0, 1, 0, 200, 8, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{250, 250, 251, 5, 2, 9, 1, 1, 3, 2, 0, 5, 2, 9, 1, 1, 3, 2, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewMemoryStorage()
		n, err := NewNode(Config{ID: 1, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), ElectionTicks: 3})
		if err != nil {
			t.Fatal(err)
		}
		var applied []Entry
		lastTerm := Term(0)
		for len(data) >= 10 {
			op := data[0]
			switch {
			case op >= 250:
				n.Tick()
				data = data[1:]
				continue
			case op >= 240:
				_, _, _ = n.Propose(data[1:2])
				_ = n.ReadIndex(uint64(data[1]))
				data = data[2:]
				continue
			}
			m := Message{
				Type:    MessageType(op % 10),
				From:    NodeID(data[1] % 4),
				To:      1,
				Term:    Term(data[2] % 8),
				LogTerm: Term(data[3] % 8),
				Index:   Index(data[4] % 16),
				Commit:  Index(data[5] % 16),
				Reject:  data[6]&1 == 1,
				Context: uint64(binary.LittleEndian.Uint16(data[7:9])),
			}
			m.RejectHint = Index(data[8] % 16)
			k := int(data[9] % 4)
			data = data[10:]
			for i := 0; i < k && len(data) > 0; i++ {
				m.Entries = append(m.Entries, Entry{Term: Term(data[0] % 8), Index: m.Index + 1 + Index(i), Type: EntryNormal, Data: []byte{data[0]}})
				data = data[1:]
			}
			_ = n.Step(m)
			for n.HasReady() {
				rd := n.Ready()
				if !rd.HardState.IsZero() {
					_ = s.SetHardState(rd.HardState)
				}
				if err := s.Append(rd.Entries); err != nil {
					t.Fatal(err)
				}
				_ = s.Sync()
				for _, e := range rd.CommittedEntries {
					if e.Index != Index(len(applied))+1 {
						t.Fatalf("applied %d after %d", e.Index, len(applied))
					}
					applied = append(applied, e)
				}
				n.Advance(rd)
			}
			st := n.Status()
			if st.Applied > st.Commit || st.Commit > st.LastIndex {
				t.Fatalf("applied %d commit %d last %d", st.Applied, st.Commit, st.LastIndex)
			}
			if st.Term < lastTerm {
				t.Fatalf("term moved back from %d to %d", lastTerm, st.Term)
			}
			lastTerm = st.Term
			for _, e := range applied {
				if got, ok := n.Term(e.Index); !ok || got != e.Term {
					t.Fatalf("applied entry %v rewritten (term now %d)", e, got)
				}
			}
		}
	})
}
