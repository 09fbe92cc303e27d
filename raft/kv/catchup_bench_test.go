package kv_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// catchupEntries is how far behind the follower falls.
const catchupEntries = 1_000_000

// BenchmarkCatchUp measures how long a follower that missed a million
// entries takes to catch up, in one goroutine with no network delay:
// by a snapshot (every node compacts every 10,000 applied entries,
// keeping 1,000) or by replaying every entry (no compaction). The state
// machine is a kv.Store holding 10,000 keys; only the catch-up is timed,
// from the moment the follower is reachable until it has applied what the
// leader committed. Run it with -benchtime 1x: each run builds the
// million-entry log first.
func BenchmarkCatchUp(b *testing.B) {
	for _, mode := range []struct {
		name        string
		every, keep int
	}{
		{"snapshot", 10_000, 1_000},
		{"replay", 0, 0},
	} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				c, lagging := laggingCluster(b, mode.every, mode.keep)
				var msgs, bytes, snaps int
				c.onDeliver = func(m raft.Message) {
					if m.To == lagging.n.ID() {
						msgs++
						bytes += wireBytes(m)
						if m.Type == raft.MsgSnap {
							snaps++
						}
					}
				}
				want := c.leader().n.Status().Commit
				applied0 := lagging.sm.Executed()
				b.StartTimer()
				start := time.Now()
				delete(c.down, lagging.n.ID())
				for i := 0; lagging.sm.AppliedIndex() < want; i++ {
					if i > 10_000 {
						b.Fatalf("the follower applied %d of %d after %d rounds", lagging.sm.AppliedIndex(), want, i)
					}
					c.run(1)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if (mode.every > 0) != (lagging.restoredAt > 0) {
					b.Fatalf("%s: the follower restored a snapshot at %d", mode.name, lagging.restoredAt)
				}
				b.ReportMetric(float64(elapsed.Milliseconds()), "catchup-ms")
				b.ReportMetric(float64(msgs), "msgs")
				b.ReportMetric(float64(bytes)/(1<<20), "MiB-sent")
				b.ReportMetric(float64(snaps), "chunks")
				b.ReportMetric(float64(lagging.sm.Executed()-applied0), "cmds-executed")
			}
		})
	}
}

// laggingCluster commits catchupEntries commands while node 3 is cut off.
func laggingCluster(b *testing.B, every, keep int) (*installCluster, *replica) {
	c := newKVCluster(b, every, keep, 1<<20)
	c.run(40)
	l := c.leader()
	lagging := c.reps[2]
	if lagging == l {
		lagging = c.reps[1]
	}
	c.down[lagging.n.ID()] = true
	const batch = 1000
	for seq := kv.Seq(1); seq <= catchupEntries; {
		for range batch {
			cmd := kv.Put(1, seq, fmt.Sprintf("k%d", seq%10_000), fmt.Sprintf("v%d", seq))
			if _, _, err := l.n.Propose(kv.EncodeCommand(cmd)); err != nil {
				b.Fatal(err)
			}
			seq++
		}
		c.settle()
	}
	c.run(2)
	if st := l.n.Status(); st.Commit < catchupEntries {
		b.Fatalf("leader committed %d", st.Commit)
	}
	return c, lagging
}

// wireBytes approximates a message's size on the wire: a header, its
// entries and its snapshot chunk.
func wireBytes(m raft.Message) int {
	n := 64
	for _, e := range m.Entries {
		n += 24 + len(e.Data)
	}
	if m.Snapshot != nil {
		n += len(m.Snapshot.Data)
	}
	return n
}
