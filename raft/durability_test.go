package raft

import (
	"errors"
	"testing"
)

// The restart contract of Storage (see its comment): a node restarted
// after a plain crash reads writes that were never synced, as a reopened
// file shows what the page cache kept. Reopen makes them durable before
// the node uses them. Without that, the node applies them, a power loss
// takes them back, and the state machine is ahead of the log: the node
// can never start again ("Applied 3 is past the stored log's last index
// 0").
func TestRestartAfterCrashThenPowerLossKeepsAppliedEntries(t *testing.T) {
	s := NewMemoryStorage()
	cfg := func(applied Index) Config {
		return Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), Applied: applied}
	}
	n, err := NewNode(cfg(0))
	if err != nil {
		t.Fatal(err)
	}
	ents := []Entry{{Term: 1, Index: 1, Type: EntryNormal}, {Term: 1, Index: 2, Type: EntryNormal}, {Term: 1, Index: 3, Type: EntryNormal}}
	if err := n.Step(Message{Type: MsgApp, From: 1, To: 2, Term: 1, Entries: ents, Commit: 3}); err != nil {
		t.Fatal(err)
	}
	rd := n.Ready()
	if !rd.MustSync || len(rd.Entries) != 3 || rd.HardState.Commit != 3 {
		t.Fatalf("Ready %+v: want 3 entries to sync and commit 3", rd)
	}
	// The writes reach the store; the process dies before Sync.
	must(t, s.SetHardState(rd.HardState))
	must(t, s.Append(rd.Entries))
	s.Crash()
	if _, err := NewNode(cfg(0)); !errors.Is(err, ErrNotReopened) {
		t.Fatalf("NewNode on a crashed store: %v, want ErrNotReopened", err)
	}

	s.Reopen()
	n, err = NewNode(cfg(0))
	if err != nil {
		t.Fatal(err)
	}
	var applied Index
	for n.HasReady() {
		rd := n.Ready()
		for _, e := range rd.CommittedEntries {
			applied = e.Index // the state machine is durable at once
		}
		n.Advance(rd)
	}
	if applied != 3 {
		t.Fatalf("restarted node applied through %d, want 3", applied)
	}

	s.PowerLoss()
	s.Reopen()
	n, err = NewNode(cfg(applied))
	if err != nil {
		t.Fatalf("restart after a power loss: %v", err)
	}
	if st := n.Status(); st.LastIndex != 3 || st.Applied != 3 {
		t.Fatalf("after the power loss: %+v, want the 3 applied entries kept", st)
	}
}

// A power loss while crashed drops what the page cache held, and nothing
// synced.
func TestMemoryStoragePowerLossWhileCrashed(t *testing.T) {
	s := NewMemoryStorage()
	must(t, s.Append([]Entry{{Term: 1, Index: 1}}))
	must(t, s.Sync())
	must(t, s.Append([]Entry{{Term: 1, Index: 2}}))
	s.Crash()
	if _, err := s.LastIndex(); !errors.Is(err, ErrNotReopened) {
		t.Fatalf("LastIndex while crashed: %v", err)
	}
	if tm, ok := s.Term(2); !ok || tm != 1 {
		t.Fatalf("Term(2) while crashed = %d, %v: checkers read a crashed node's log", tm, ok)
	}
	s.PowerLoss()
	s.Reopen()
	if last, _ := s.LastIndex(); last != 1 {
		t.Fatalf("after power loss while crashed: last index %d, want 1", last)
	}
}

// Advance learns that the prefix of a Ready's entries the log still holds
// is durable, even when a truncation raced the write: the applied index is
// never past the durable log.
func TestAdvanceAfterTruncationKeepsDurablePrefix(t *testing.T) {
	n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1}, 1)
	ents := []Entry{{Term: 1, Index: 2, Type: EntryNormal}, {Term: 1, Index: 3, Type: EntryNormal}, {Term: 1, Index: 4, Type: EntryNormal}}
	must(t, n.Step(Message{Type: MsgApp, From: 1, To: 2, Term: 1, Index: 1, LogTerm: 1, Entries: ents, Commit: 3}))
	rd := n.Ready()
	must(t, s.Append(rd.Entries))
	must(t, s.Sync())
	// Before Advance, a leader of term 2 overwrites index 4.
	must(t, n.Step(Message{Type: MsgApp, From: 3, To: 2, Term: 2, Index: 3, LogTerm: 1, Entries: []Entry{{Term: 2, Index: 4, Type: EntryNormal}}, Commit: 3}))
	n.Advance(rd)
	if got := n.log.stable; got != 3 {
		t.Fatalf("stable %d after the race, want 3 (entries 2..3 were written and still match)", got)
	}
	if st := n.Status(); st.Applied != 3 {
		t.Fatalf("applied %d, want 3", st.Applied)
	}
	rd = n.Ready()
	if len(rd.Entries) != 1 || rd.Entries[0].Term != 2 {
		t.Fatalf("next Ready writes %v, want the replacement entry 4 of term 2", rd.Entries)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A Ready writes every entry its messages vouch for. Unstable entries
// that cross a chunk boundary of the in-memory log once came out as a
// prefix: the follower acknowledged entries up to 4098 with only 4096
// written (found by the simulator's ack-durable check).
func TestReadyEntriesCoverAcknowledgements(t *testing.T) {
	st := NewMemoryStorage()
	var ents []Entry
	for i := Index(1); i <= chunkSize-2; i++ {
		ents = append(ents, Entry{Term: 1, Index: i, Type: EntryNoop})
	}
	must(t, st.Append(ents))
	must(t, st.SetHardState(HardState{Term: 1, Commit: 1}))
	st.Reopen()
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: st, Rand: testRand()})
	must(t, err)
	m := Message{Type: MsgApp, From: 1, To: 2, Term: 1, Index: chunkSize - 2, LogTerm: 1, Commit: chunkSize + 2}
	for i := Index(chunkSize - 1); i <= chunkSize+2; i++ {
		m.Entries = append(m.Entries, Entry{Term: 1, Index: i, Type: EntryNoop})
	}
	must(t, n.Step(m))
	rd := n.Ready()
	if len(rd.Entries) == 0 {
		t.Fatal("no entries to write")
	}
	written := rd.Entries[len(rd.Entries)-1].Index
	for _, msg := range rd.Messages {
		if msg.Type == MsgAppResp && !msg.Reject && msg.Index > written {
			t.Fatalf("the Ready acknowledges up to %d but writes entries only up to %d", msg.Index, written)
		}
	}
	for _, e := range rd.CommittedEntries {
		if e.Index > written {
			t.Fatalf("the Ready applies %d but writes entries only up to %d", e.Index, written)
		}
	}
	n.Advance(rd)
}
