package kv_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// replica is a Raft node with its store and key-value state machine,
// driven by the Ready contract.
type replica struct {
	n  *raft.Node
	st *raft.MemoryStorage
	sm *kv.Store
	// restoredAt is the index of the last snapshot restored.
	restoredAt raft.Index
	// answers maps a proposal's index to the response applied there.
	answers map[raft.Index][]byte
}

type installCluster struct {
	t     testing.TB
	reps  []*replica
	queue []raft.Message
	// down drops every message to or from a node.
	down map[raft.NodeID]bool
	// mute drops the (pre-)vote requests of a node: it cannot stand.
	mute map[raft.NodeID]bool
	// onDeliver, when set, sees every message delivered.
	onDeliver func(m raft.Message)
}

func newInstallCluster(t testing.TB) *installCluster { return newKVCluster(t, 4, 0, 32) }

// newKVCluster starts three replicas that compact every `every` applied
// entries (0: never), keeping keep, and send snapshots in chunks of chunk
// bytes.
func newKVCluster(t testing.TB, every, keep int, chunk uint64) *installCluster {
	c := &installCluster{t: t, down: map[raft.NodeID]bool{}, mute: map[raft.NodeID]bool{}}
	voters := []raft.NodeID{1, 2, 3}
	for _, id := range voters {
		st := raft.NewMemoryStorage()
		n, err := raft.NewNode(raft.Config{ID: id, Voters: voters, Storage: st, Rand: rand.New(rand.NewPCG(uint64(id), 9)),
			SnapshotEvery: every, SnapshotKeep: keep, SnapshotChunkBytes: chunk, MaxUncommittedEntries: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		c.reps = append(c.reps, &replica{n: n, st: st, sm: kv.New(), answers: map[raft.Index][]byte{}})
	}
	return c
}

func (c *installCluster) process() {
	for _, r := range c.reps {
		for r.n.HasReady() {
			rd := r.n.Ready()
			if !rd.Snapshot.IsEmpty() {
				must(c.t, r.st.ApplySnapshot(rd.Snapshot))
			}
			if !rd.HardState.IsZero() {
				must(c.t, r.st.SetHardState(rd.HardState))
			}
			must(c.t, r.st.Append(rd.Entries))
			if rd.Compact > 0 {
				must(c.t, r.st.Compact(rd.Compact))
			}
			must(c.t, r.st.Sync())
			c.queue = append(c.queue, rd.Messages...)
			if rd.RestoreSnapshot {
				must(c.t, r.sm.Restore(rd.Snapshot.Data))
				r.restoredAt = rd.Snapshot.Meta.Index
			}
			for _, e := range rd.CommittedEntries {
				r.answers[e.Index] = r.sm.Apply(e)
			}
			r.n.Advance(rd)
			if r.n.SnapshotDue() {
				must(c.t, r.n.Compact(r.sm.AppliedIndex(), r.sm.Snapshot()))
			}
		}
	}
}

// run ticks every node k times, delivering everything in between.
func (c *installCluster) run(k int) {
	for range k {
		for _, r := range c.reps {
			r.n.Tick()
		}
		c.settle()
	}
}

// settle delivers messages until none is left.
func (c *installCluster) settle() {
	c.process()
	for len(c.queue) > 0 {
		q := c.queue
		c.queue = nil
		for _, m := range q {
			muted := c.mute[m.From] && (m.Type == raft.MsgPreVote || m.Type == raft.MsgVote)
			if !c.down[m.From] && !c.down[m.To] && !muted {
				if c.onDeliver != nil {
					c.onDeliver(m)
				}
				must(c.t, c.reps[m.To-1].n.Step(m))
			}
		}
		c.process()
	}
}

func (c *installCluster) leader() *replica {
	for _, r := range c.reps {
		if st := r.n.Status(); st.Role == raft.RoleLeader && !c.down[st.ID] {
			return r
		}
	}
	c.t.Fatal("no leader")
	return nil
}

func (c *installCluster) propose(r *replica, cmd kv.Command) raft.Index {
	idx, _, err := r.n.Propose(kv.EncodeCommand(cmd))
	if err != nil {
		c.t.Fatal(err)
	}
	c.run(3)
	return idx
}

// Exactly-once across a snapshot install: a follower that learned a
// client's commands from a snapshot, not by applying them, still answers
// a retry of the last one from its session table, with the original
// response, and does not apply it again.
func TestExactlyOnceAcrossSnapshotInstall(t *testing.T) {
	c := newInstallCluster(t)
	c.run(40)
	l := c.leader()
	lagging := c.reps[0]
	if lagging == l {
		lagging = c.reps[1]
	}
	c.down[lagging.n.ID()] = true
	const client = kv.ClientID(7)
	var last raft.Index
	for seq := kv.Seq(1); seq <= 10; seq++ {
		last = c.propose(l, kv.Append(client, seq, "x", "a"))
	}
	// Another client's commands follow, so that the snapshot the
	// follower gets covers all of client 7's: it learns them only from
	// the snapshot.
	for seq := kv.Seq(1); seq <= 8; seq++ {
		c.propose(l, kv.Put(client+1, seq, "y", "b"))
	}
	if l.n.Status().SnapshotIndex == 0 {
		t.Fatal("the leader did not compact")
	}
	delete(c.down, lagging.n.ID())
	c.run(30)
	if lagging.restoredAt < last {
		t.Fatalf("the lagging follower restored a snapshot at %d, before client 7's last command at %d", lagging.restoredAt, last)
	}
	if lagging.sm.Digest() != l.sm.Digest() {
		t.Fatal("the follower's state after the install differs from the leader's")
	}
	// The old leader goes away; the follower that installed the snapshot
	// leads, and the client retries its last command there.
	c.down[l.n.ID()] = true
	// The other follower cannot stand, so the lagging one is the leader
	// to be, whichever election timer fires first.
	for _, r := range c.reps {
		if r != l && r != lagging {
			c.mute[r.n.ID()] = true
		}
	}
	for range 20 {
		if lagging.n.Status().Role == raft.RoleLeader {
			break
		}
		c.run(5)
	}
	if lagging.n.Status().Role != raft.RoleLeader {
		t.Fatalf("the follower that installed the snapshot did not become leader: %+v", lagging.n.Status())
	}
	executed := lagging.sm.Executed()
	retry := c.propose(lagging, kv.Append(client, 10, "x", "a"))
	if !bytes.Equal(lagging.answers[retry], l.answers[last]) {
		t.Fatalf("the retry is answered %x, the original %x", lagging.answers[retry], l.answers[last])
	}
	if lagging.sm.Executed() != executed {
		t.Fatal("the retry was executed again")
	}
	if v, _ := lagging.sm.Read("x"); v != "aaaaaaaaaa" {
		t.Fatalf("x = %q after the retry, want ten appends", v)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
