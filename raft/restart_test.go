package raft

import (
	"errors"
	"testing"
)

// §5.2, Figure 2: term, vote and log survive a restart, so a node never
// votes twice in a term.
func TestRestartRestoresTermVoteAndLog(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.DisablePreVote = true })
	l := c.elect()
	c.propose(l, "a")
	c.propose(l, "b")
	c.processAll()
	c.deliver()
	c.tickAll()
	c.deliver()
	f := nonLeader(c, l)
	before := c.nodes[f].Status()
	c.restart(f)
	after := c.nodes[f].Status()
	if after.Term != before.Term || after.Vote != before.Vote || after.LastIndex != before.LastIndex || after.Commit != before.Commit {
		t.Fatalf("restart: before %+v, after %+v", before, after)
	}
	if after.Applied != before.Applied {
		t.Fatalf("restart: applied %d, want %d from the state machine", after.Applied, before.Applied)
	}
	// Nothing already applied comes back for applying (the harness fails
	// the test on a repeated index).
	c.processAll()
	c.tickAll()
	c.deliver()
	c.checkApplied()
}

func TestRestartKeepsVote(t *testing.T) {
	s := NewMemoryStorage()
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	n.Step(Message{Type: MsgVote, From: 1, To: 2, Term: 5})
	msgs := drain(n, s)
	if len(msgs) != 1 || msgs[0].Reject {
		t.Fatalf("first vote request: %v, want a grant", msgs)
	}
	n2, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	n2.Step(Message{Type: MsgVote, From: 3, To: 2, Term: 5})
	msgs = drain(n2, s)
	if len(msgs) != 1 || !msgs[0].Reject {
		t.Fatalf("second candidate in term 5 after restart: %v, want a rejection", msgs)
	}
}

// A crash before Sync loses the unsynced vote, and the vote was never
// sent: the node may vote again, which is safe.
func TestCrashBeforeSyncForgetsUnsentVote(t *testing.T) {
	s := NewMemoryStorage()
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	n.Step(Message{Type: MsgVote, From: 1, To: 2, Term: 5})
	rd := n.Ready()
	_ = s.SetHardState(rd.HardState)
	s.DiscardUnsynced()
	hs, _ := s.InitialState()
	if hs.Vote != None || hs.Term != 0 {
		t.Fatalf("after crash before sync, hard state %+v, want zero", hs)
	}
}

func TestConfigValidation(t *testing.T) {
	base := func() Config {
		return Config{ID: 1, Voters: []NodeID{1, 2, 3}, Storage: NewMemoryStorage(), Rand: testRand()}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"zero ID", func(c *Config) { c.ID = 0 }},
		{"no voters", func(c *Config) { c.Voters = nil }},
		{"duplicate voter", func(c *Config) { c.Voters = []NodeID{1, 2, 2} }},
		{"no storage", func(c *Config) { c.Storage = nil }},
		{"no rand", func(c *Config) { c.Rand = nil }},
		{"heartbeat >= election", func(c *Config) { c.ElectionTicks = 3; c.HeartbeatTicks = 3 }},
		{"lease without check quorum", func(c *Config) { c.ReadMode = ReadLease; c.DisableCheckQuorum = true }},
		{"lease drift too large", func(c *Config) { c.ReadMode = ReadLease; c.LeaseDriftTicks = 10 }},
		{"negative inflight", func(c *Config) { c.MaxInflightMsgs = -1 }},
	} {
		cfg := base()
		tc.mod(&cfg)
		if _, err := NewNode(cfg); err == nil {
			t.Errorf("%s: NewNode accepted the config", tc.name)
		}
	}
	if _, err := NewNode(base()); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestStepRejectsMalformedMessages(t *testing.T) {
	n, _ := nodeWithLog(t, 1, []NodeID{1, 2, 3}, []Term{1}, 1)
	for _, m := range []Message{
		{Type: MsgApp, From: 2, To: 3, Term: 1},
		{Type: MsgApp, From: None, To: 1, Term: 1},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: []Entry{{Term: 2, Index: 2, Type: EntryConfig, Data: []byte{1, 0, 0}}}},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: []Entry{{Term: 2, Index: 2, Type: EntryConfig, Data: EncodeConfState(ConfState{})}}},
		{Type: MsgApp, From: 1, To: 1, Term: 1},
		{Type: 0, From: 2, To: 1, Term: 1},
		{Type: MsgHeartbeat, From: 2, To: 1, Term: 0},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: []Entry{{Term: 2, Index: 3, Type: EntryNormal}}},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: []Entry{{Term: 3, Index: 2, Type: EntryNormal}}},
		{Type: MsgVote, From: 2, To: 1, Term: 2, Entries: []Entry{{Term: 1, Index: 1}}},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 0, LogTerm: 2, Entries: []Entry{{Term: 2, Index: 1, Type: EntryNormal}}},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 0, LogTerm: 1},
	} {
		before := n.Status()
		if err := n.Step(m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Step(%v) = %v, want ErrInvalidMessage", m, err)
		}
		if after := n.Status(); after != before {
			t.Errorf("Step(%v) changed state %+v -> %+v", m, before, after)
		}
	}
}

// A power loss may keep a Ready's entries and drop its hard state, which
// a disk that writes back in any order does (fuzz seeds 2070 and 2483 on
// the file store). The Ready was never synced, so the node never acted in
// the entries' term: it restarts in that term, having voted for no one,
// instead of refusing to start.
func TestRestartWithEntriesPastTheStoredTerm(t *testing.T) {
	s := NewMemoryStorage()
	if err := s.Append([]Entry{{Term: 7, Index: 1, Type: EntryNormal}, {Term: 8, Index: 2, Type: EntryNormal}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHardState(HardState{Term: 7, Vote: 3, Commit: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatalf("restart refused: %v", err)
	}
	if st := n.Status(); st.Term != 8 || st.Vote != None || st.LastIndex != 2 {
		t.Fatalf("restarted at term %d with vote %d and last index %d, want term 8, no vote, last index 2", st.Term, st.Vote, st.LastIndex)
	}
	// A node with a stored term at or past its log keeps term and vote.
	if err := s.SetHardState(HardState{Term: 9, Vote: 3, Commit: 1}); err != nil {
		t.Fatal(err)
	}
	_ = s.Sync()
	n, err = NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	if st := n.Status(); st.Term != 9 || st.Vote != 3 {
		t.Fatalf("restarted at term %d with vote %d, want the stored term 9 and vote 3", st.Term, st.Vote)
	}
}
