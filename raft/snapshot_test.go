package raft

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func withSnapshots(every, keep int) func(*Config) {
	return func(c *Config) { c.SnapshotEvery, c.SnapshotKeep = every, keep }
}

func withChunks(bytes uint64, window int) func(*Config) {
	return func(c *Config) { c.SnapshotChunkBytes, c.MaxInflightSnapshotChunks = bytes, window }
}

func (c *cluster) proposeN(id NodeID, k int, prefix string) {
	for i := range k {
		c.propose(id, fmt.Sprintf("%s%d", prefix, i))
		c.process(id)
		c.deliver()
	}
}

// settle ticks and delivers until every node has applied as much as the
// leader, and fails after a bound.
func (c *cluster) settle(l NodeID) {
	for range 500 {
		c.tickAll()
		c.deliver()
		done := true
		want := c.nodes[l].Status().Commit
		for _, id := range c.ids {
			if c.nodes[id].Status().Applied < want {
				done = false
			}
		}
		if done {
			return
		}
	}
	c.t.Fatalf("the cluster did not settle in 500 ticks:\n%v", c)
}

// §7: Compact never passes the applied index, discards the log up to the
// snapshot but the kept tail, and hands the storage the snapshot and the
// compaction through Ready.
func TestCompactDiscardsAppliedPrefixKeepsTail(t *testing.T) {
	c := newCluster(t, 3, withSnapshots(0, 3))
	l := c.elect()
	c.proposeN(l, 20, "x")
	n, s := c.nodes[l], c.stores[l]
	st := n.Status()
	if err := n.Compact(st.Applied+1, nil); !errors.Is(err, ErrCompactUnapplied) {
		t.Fatalf("Compact past applied %d: %v, want ErrCompactUnapplied", st.Applied, err)
	}
	a := c.applied[l][:10]
	if err := n.Compact(10, encodeApplied(a)); err != nil {
		t.Fatal(err)
	}
	if err := n.Compact(10, encodeApplied(a)); !errors.Is(err, ErrSnapshotOutOfDate) {
		t.Fatalf("second Compact(10): %v, want ErrSnapshotOutOfDate", err)
	}
	if st := n.Status(); st.FirstIndex != 8 || st.SnapshotIndex != 10 {
		t.Fatalf("after Compact(10) keeping 3: first %d snapshot %d, want 8 and 10", st.FirstIndex, st.SnapshotIndex)
	}
	if _, ok := n.Term(6); ok {
		t.Fatal("entry 6 is still held after compacting to 7")
	}
	rd := n.Ready()
	if rd.Snapshot.Meta.Index != 10 || rd.RestoreSnapshot || rd.Compact != 7 || rd.MustSync {
		t.Fatalf("Ready: snapshot %v restore %v compact %d sync %v; want the snapshot at 10 to store, compaction to 7, no sync", rd.Snapshot, rd.RestoreSnapshot, rd.Compact, rd.MustSync)
	}
	if rd.Snapshot.Meta.Term != a[9].Term || !rd.Snapshot.Meta.ConfState.Equal(ConfState{Voters: c.ids}) {
		t.Fatalf("snapshot metadata %+v, want term %d and voters %v", rd.Snapshot.Meta, a[9].Term, c.ids)
	}
	must(t, s.ApplySnapshot(rd.Snapshot))
	must(t, s.Compact(rd.Compact))
	n.Advance(rd)
	if first, _ := s.FirstIndex(); first != 8 {
		t.Fatalf("storage first index %d, want 8", first)
	}
	if n.HasReady() {
		t.Fatalf("a Ready after the snapshot was stored: %+v", n.Ready())
	}
	// Replication goes on from the compacted log.
	c.proposeN(l, 5, "y")
	c.checkApplied()
}

// A follower that needs entries the leader compacted away gets the
// snapshot, in chunks, then the entries after it; a lost chunk costs a
// resend from where the follower is, and never more than the window of
// chunks is in flight.
func TestLaggingFollowerCatchesUpBySnapshot(t *testing.T) {
	const window = 2
	c := newCluster(t, 3, withSnapshots(5, 2), withChunks(16, window))
	l := c.elect()
	f := NodeID(1)
	if f == l {
		f = 2
	}
	c.isolate(f)
	c.proposeN(l, 60, "v")
	if st := c.nodes[l].Status(); st.FirstIndex < 10 {
		t.Fatalf("leader did not compact: %+v", st)
	}
	c.heal()
	lost := false
	rewinds := 0
	c.drop = func(m Message) bool {
		if m.Type == MsgSnap && m.Snapshot.Offset > 0 && !lost {
			lost = true
			return true
		}
		if m.Type == MsgSnapResp && m.Reject {
			rewinds++
		}
		return false
	}
	for range 500 {
		inflight := 0
		for _, m := range c.queue {
			if m.Type == MsgSnap && m.To == f {
				inflight++
			}
		}
		if inflight > window {
			t.Fatalf("%d chunks in flight to node %d, window %d", inflight, f, window)
		}
		c.tickAll()
		c.deliver()
		if c.nodes[f].Status().Applied == c.nodes[l].Status().Applied {
			break
		}
	}
	if got, want := c.nodes[f].Status().Applied, c.nodes[l].Status().Applied; got != want {
		t.Fatalf("follower applied %d, leader %d", got, want)
	}
	if !lost || rewinds == 0 {
		t.Fatalf("lost a chunk: %v, rewinds %d: the test did not exercise a resend", lost, rewinds)
	}
	if c.delivered[MsgSnap] < 3 {
		t.Fatalf("%d chunks delivered: the snapshot did not take several", c.delivered[MsgSnap])
	}
	snap, _ := c.stores[f].Snapshot()
	if snap.IsEmpty() {
		t.Fatal("the follower's storage holds no snapshot")
	}
	c.checkApplied()
}

// installable returns a snapshot of entries 1..index of term t with
// voters 1..3, and a MsgSnap carrying it whole.
func installable(index Index, t, msgTerm Term, from, to NodeID) (Snapshot, Message) {
	var ents []Entry
	for i := Index(1); i <= index; i++ {
		ents = append(ents, Entry{Index: i, Term: t, Type: EntryNormal, Data: []byte{byte(i)}})
	}
	s := Snapshot{Meta: SnapshotMeta{Index: index, Term: t, ConfState: ConfState{Voters: []NodeID{1, 2, 3}}}, Data: encodeApplied(ents)}
	return s, Message{Type: MsgSnap, From: from, To: to, Term: msgTerm, Index: index, LogTerm: t,
		Snapshot: &SnapshotChunk{Meta: s.Meta, Total: uint64(len(s.Data)), Data: s.Data}}
}

// §7: a follower whose log does not hold the snapshot's last entry
// replaces its log and restores its state machine; the answer leaves
// with the Ready that stores the snapshot, which must be synced first.
func TestInstallReplacesLogAndAnswersAfterSync(t *testing.T) {
	n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 2, 2}, 2)
	snap, m := installable(4, 3, 3, 1, 2)
	must(t, n.Step(m))
	rd := n.Ready()
	if rd.Snapshot.Meta.Index != 4 || !rd.RestoreSnapshot || !rd.MustSync || len(rd.CommittedEntries) != 0 {
		t.Fatalf("Ready: snapshot %v restore %v sync %v applying %v", rd.Snapshot, rd.RestoreSnapshot, rd.MustSync, rd.CommittedEntries)
	}
	var ack *Message
	for i := range rd.Messages {
		if rd.Messages[i].Type == MsgAppResp {
			ack = &rd.Messages[i]
		}
	}
	if ack == nil || ack.Index != 4 || ack.Reject {
		t.Fatalf("messages %v: want the MsgAppResp for index 4 in the Ready that stores the snapshot", rd.Messages)
	}
	must(t, s.ApplySnapshot(rd.Snapshot))
	must(t, s.SetHardState(rd.HardState))
	must(t, s.Sync())
	n.Advance(rd)
	st := n.Status()
	if st.Applied != 4 || st.Commit != 4 || st.FirstIndex != 5 || st.LastIndex != 4 || st.LastTerm != 3 {
		t.Fatalf("after install: %+v", st)
	}
	if first, _ := s.FirstIndex(); first != 5 {
		t.Fatalf("storage first index %d, want 5: the old log is replaced", first)
	}
	if got, _ := s.Snapshot(); got.Meta.Index != snap.Meta.Index {
		t.Fatalf("storage snapshot %v", got)
	}
}

// §7: "If existing log entry has same index and term as snapshot's last
// included entry, retain log entries following it". Nothing is restored:
// the entries up to it are committed and applied in order.
func TestInstallKeepsMatchingEntriesAfterIt(t *testing.T) {
	n, _ := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1)
	_, m := installable(8, 1, 1, 1, 2)
	must(t, n.Step(m))
	rd := n.Ready()
	if !rd.Snapshot.IsEmpty() || rd.RestoreSnapshot {
		t.Fatalf("Ready restores snapshot %v although the log holds its last entry", rd.Snapshot)
	}
	if len(rd.CommittedEntries) != 8 {
		t.Fatalf("%d entries to apply, want 1..8", len(rd.CommittedEntries))
	}
	n.Advance(rd)
	if st := n.Status(); st.LastIndex != 10 || st.Commit != 8 || st.FirstIndex != 1 {
		t.Fatalf("after the snapshot: %+v; want entries 9 and 10 kept, commit 8", st)
	}
}

// A snapshot that is not ahead of the commit index would move the node
// back: it is ignored, and answered with the commit index.
func TestStaleSnapshotIgnored(t *testing.T) {
	n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 1, 1, 1}, 1)
	must(t, n.Step(Message{Type: MsgHeartbeat, From: 1, To: 2, Term: 1, Commit: 6}))
	drain(n, s)
	must(t, n.Compact(5, nil))
	drain(n, s)
	_, m := installable(4, 1, 1, 1, 2)
	before := n.Status()
	must(t, n.Step(m))
	rd := n.Ready()
	if !rd.Snapshot.IsEmpty() || len(rd.Messages) != 1 || rd.Messages[0].Type != MsgAppResp || rd.Messages[0].Index != 6 {
		t.Fatalf("Ready after a stale snapshot: snapshot %v, messages %v; want only MsgAppResp for 6", rd.Snapshot, rd.Messages)
	}
	n.Advance(rd)
	if after := n.Status(); after != before {
		t.Fatalf("a stale snapshot changed the node: %+v, was %+v", after, before)
	}
}

// A transfer belongs to one leader and term: a chunk from a new leader
// that does not start at 0 is refused with offset 0, and the new transfer
// starts clean; the old partial snapshot is gone.
func TestTransferRestartsCleanlyAfterLeaderChange(t *testing.T) {
	n, _ := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1}, 1)
	old, _ := installable(6, 1, 1, 1, 2)
	chunk := func(s Snapshot, from NodeID, term Term, off, size uint64) Message {
		end := min(off+size, uint64(len(s.Data)))
		return Message{Type: MsgSnap, From: from, To: 2, Term: term, Index: s.Meta.Index, LogTerm: s.Meta.Term, Context: 1,
			Snapshot: &SnapshotChunk{Meta: s.Meta, Offset: off, Total: uint64(len(s.Data)), Data: s.Data[off:end]}}
	}
	must(t, n.Step(chunk(old, 1, 1, 0, 5)))
	if len(n.recv.data) != 5 {
		t.Fatalf("holds %d bytes after the first chunk", len(n.recv.data))
	}
	newer, _ := installable(7, 2, 2, 3, 2)
	must(t, n.Step(chunk(newer, 3, 2, 5, 5)))
	var resp Message
	for _, m := range n.Ready().Messages {
		if m.Type == MsgSnapResp {
			resp = m
		}
	}
	n.Advance(Ready{})
	if !resp.Reject || resp.Snapshot.Offset != 0 || resp.To != 3 {
		t.Fatalf("answer to a mid-transfer chunk of a new leader: %v, want a refusal at offset 0", resp)
	}
	for off := uint64(0); off < uint64(len(newer.Data)); off += 5 {
		must(t, n.Step(chunk(newer, 3, 2, off, 5)))
	}
	rd := n.Ready()
	if rd.Snapshot.Meta.Index != 7 || string(rd.Snapshot.Data) != string(newer.Data) {
		t.Fatalf("installed %v, want the new leader's snapshot whole", rd.Snapshot)
	}
}

// The leader resends a chunk lost at the end of a window once the follower
// answers a later heartbeat, since no later chunk draws a refusal; and the
// last chunk, if the follower's MsgAppResp for the install is lost.
func TestLeaderProbesLostChunkAndInstallAnswer(t *testing.T) {
	c := newCluster(t, 3, withSnapshots(4, 0), withChunks(1<<20, 1))
	l := c.elect()
	f := NodeID(1)
	if f == l {
		f = 2
	}
	c.isolate(f)
	c.proposeN(l, 20, "w")
	c.heal()
	dropped := 0
	c.drop = func(m Message) bool {
		// The only chunk, and then the install's answer.
		if dropped == 0 && m.Type == MsgSnap || dropped == 1 && m.Type == MsgAppResp && m.From == f && m.Index >= c.nodes[l].Status().SnapshotIndex {
			dropped++
			return true
		}
		return false
	}
	c.settle(l)
	if dropped != 2 {
		t.Fatalf("dropped %d messages, want the chunk and the install's answer", dropped)
	}
	if c.delivered[MsgSnap] < 2 {
		t.Fatalf("%d chunks delivered: the leader never resent", c.delivered[MsgSnap])
	}
	c.checkApplied()
}

// A node restarted after storing an installed snapshot, but before its
// state machine was restored from it, gets the snapshot again to restore.
func TestRestartBehindStoredSnapshotRestores(t *testing.T) {
	n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1}, 1)
	snap, m := installable(5, 1, 1, 1, 2)
	must(t, n.Step(m))
	rd := n.Ready()
	must(t, s.ApplySnapshot(rd.Snapshot))
	must(t, s.SetHardState(rd.HardState))
	must(t, s.Sync())
	// The process dies before step 3: the state machine is at 0.
	s.Crash()
	s.Reopen()
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), Applied: 0})
	if err != nil {
		t.Fatal(err)
	}
	rd = n.Ready()
	if !rd.RestoreSnapshot || rd.Snapshot.Meta.Index != snap.Meta.Index || rd.MustSync {
		t.Fatalf("first Ready after the restart: restore %v snapshot %v sync %v", rd.RestoreSnapshot, rd.Snapshot, rd.MustSync)
	}
	must(t, s.ApplySnapshot(rd.Snapshot)) // the same snapshot again: nothing changes
	if s.Unsynced() {
		t.Fatal("storing the stored snapshot again left an unsynced write")
	}
	n.Advance(rd)
	if st := n.Status(); st.Applied != 5 || n.HasReady() {
		t.Fatalf("after the restore: %+v, more work %v", st, n.HasReady())
	}
	// A state machine that kept its state restarts without a restore.
	n, err = NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), Applied: 5})
	if err != nil {
		t.Fatal(err)
	}
	if n.HasReady() {
		t.Fatalf("restart at the snapshot's index has work: %+v", n.Ready())
	}
}

// A power loss before the install is synced brings the old log back; the
// answer to the leader never left, so nothing was promised.
func TestPowerLossBeforeInstallSyncKeepsOldLog(t *testing.T) {
	n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 2}, 2)
	_, m := installable(5, 3, 3, 1, 2)
	must(t, n.Step(m))
	rd := n.Ready()
	must(t, s.ApplySnapshot(rd.Snapshot))
	must(t, s.SetHardState(rd.HardState))
	s.PowerLoss()
	s.Reopen()
	n, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand()})
	if err != nil {
		t.Fatal(err)
	}
	if st := n.Status(); st.LastIndex != 3 || st.LastTerm != 2 || st.SnapshotIndex != 0 {
		t.Fatalf("after the power loss: %+v, want the old log 1..3", st)
	}
}

// NewNode refuses a store whose log does not continue its snapshot.
func TestNewNodeRefusesGapAfterSnapshot(t *testing.T) {
	s := NewMemoryStorage()
	must(t, s.Append([]Entry{{Index: 1, Term: 1}, {Index: 2, Term: 1}, {Index: 3, Term: 1}}))
	must(t, s.ApplySnapshot(Snapshot{Meta: SnapshotMeta{Index: 2, Term: 1, ConfState: ConfState{Voters: []NodeID{1, 2, 3}}}}))
	must(t, s.Compact(2))
	// A store that lost the snapshot but kept the compaction.
	s.snap = Snapshot{}
	_, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand()})
	if err == nil || !strings.Contains(err.Error(), "holds no snapshot") {
		t.Fatalf("NewNode on a log without its snapshot: %v", err)
	}
}
