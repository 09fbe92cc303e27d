package raft

import "testing"

// A node that handles a backlog in one Ready can append an old leader's
// entries, queue their acknowledgement, and then let a newer leader cut
// them. The Ready stores only the newer log, so the old acknowledgement
// must not leave with it: it would vouch for entries the node never made
// durable, and could complete the old leader's quorum (fuzz seeds 13492
// and 17398 found this as an ack-durable failure).
func TestAcknowledgementOfTruncatedEntriesIsRetracted(t *testing.T) {
	s := NewMemoryStorage()
	n, err := NewNode(Config{ID: 3, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	mustStep(t, n, Message{Type: MsgApp, From: 1, To: 3, Term: 1, Index: 0, LogTerm: 0,
		Entries: []Entry{{Term: 1, Index: 1, Type: EntryNormal}, {Term: 1, Index: 2, Type: EntryNormal}, {Term: 1, Index: 3, Type: EntryNormal}}})
	// Leader 2 of term 2 holds entry 1 but not 2 and 3: its append cuts
	// them, before the Ready that would have stored them.
	mustStep(t, n, Message{Type: MsgApp, From: 2, To: 3, Term: 2, Index: 1, LogTerm: 1,
		Entries: []Entry{{Term: 2, Index: 2, Type: EntryNormal}}})
	msgs := drain(n, s)
	last, _ := s.LastIndex()
	if last != 2 {
		t.Fatalf("storage ends at %d, want 2 (term 2's entry replaced 2 and 3)", last)
	}
	var acked []Message
	for _, m := range msgs {
		if m.Type == MsgAppResp && !m.Reject {
			acked = append(acked, m)
			if m.Index > last {
				t.Errorf("acknowledgement to %d of term %d up to %d, past the stored log's end %d", m.To, m.Term, m.Index, last)
			}
		}
	}
	if len(acked) != 1 || acked[0].To != 2 || acked[0].Index != 2 {
		t.Fatalf("acknowledgements %v, want one to leader 2 up to 2", acked)
	}
}

func mustStep(t *testing.T, n *Node, m Message) {
	t.Helper()
	if err := n.Step(m); err != nil {
		t.Fatalf("step %v: %v", m.Type, err)
	}
}
