package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/filestore"
	"github.com/raftsim/raftsim/raft/kv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// put proposes key=value through whichever node leads, retrying definite
// refusals, for up to 10 s.
func (c *testCluster) put(client kv.ClientID, seq kv.Seq, key, value string) Result {
	c.t.Helper()
	for i := 0; i < 100; i++ {
		lead := c.leader()
		ctx, cancel := ctxTimeout(2 * time.Second)
		res, err := c.nodes[lead].srv.Propose(ctx, kv.Put(client, seq, key, value))
		cancel()
		if err == nil {
			return res
		}
		if !retryable(err) && !errors.Is(err, ErrUnknownOutcome) {
			c.t.Fatalf("put %s=%s: %v", key, value, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("put %s=%s: no success in 100 tries", key, value)
	return Result{}
}

func (c *testCluster) get(key string) (string, bool) {
	c.t.Helper()
	for i := 0; i < 100; i++ {
		lead := c.leader()
		ctx, cancel := ctxTimeout(2 * time.Second)
		v, found, err := c.nodes[lead].srv.Read(ctx, key)
		cancel()
		if err == nil {
			return v, found
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("get %s: no success in 100 tries", key)
	return "", false
}

func TestProposeReadAndFollowerRefusal(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.leader()
	if res := c.put(5, 1, "x", "1"); res.Response.Status != kv.StatusOK {
		t.Fatalf("put: %v", res.Response)
	}
	if v, found := c.get("x"); !found || v != "1" {
		t.Fatalf("get x = %q, %v", v, found)
	}
	var follower raft.NodeID
	for _, id := range c.ids {
		if id != lead {
			follower = id
		}
	}
	ctx, cancel := ctxTimeout(2 * time.Second)
	defer cancel()
	_, err := c.nodes[follower].srv.Propose(ctx, kv.Put(5, 2, "x", "2"))
	var nl *raft.NotLeaderError
	if !errors.As(err, &nl) || nl.Leader != lead {
		t.Fatalf("propose on follower %d: %v, want NotLeaderError naming %d", follower, err, lead)
	}
	if _, _, err := c.nodes[follower].srv.Read(ctx, "x"); !errors.Is(err, raft.ErrNotLeader) {
		t.Fatalf("read on follower: %v", err)
	}
	// Every node applies the write.
	c.caughtUp()
}

// A retried command (same client and sequence number) is applied once and
// answered with its original response.
func TestRetryIsAppliedOnce(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.leader()
	srv := c.nodes[lead].srv
	ctx, cancel := ctxTimeout(5 * time.Second)
	defer cancel()
	cmd := kv.Append(9, 1, "k", "a")
	first, err := srv.Propose(ctx, cmd)
	if err != nil || first.Retry || first.Length != 1 {
		t.Fatalf("first append: %+v %v", first, err)
	}
	again, err := srv.Propose(ctx, cmd)
	if err != nil || !again.Retry || again.Response != first.Response {
		t.Fatalf("retried append: %+v %v", again, err)
	}
	if v, _ := c.get("k"); v != "a" {
		t.Fatalf("after a retried append, k = %q", v)
	}
	del, err := srv.Propose(ctx, kv.Delete(0, 0, "k"))
	if err != nil || !del.Existed {
		t.Fatalf("delete of an existing key: %+v %v", del, err)
	}
	del, err = srv.Propose(ctx, kv.Delete(0, 0, "k"))
	if err != nil || del.Existed {
		t.Fatalf("delete of a missing key: %+v %v", del, err)
	}
}

// Many concurrent proposals share fsyncs: group commit.
func TestGroupCommit(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.leader()
	srv := c.nodes[lead].srv
	before := srv.Status()
	const clients, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for cl := 0; cl < clients; cl++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ctx, cancel := ctxTimeout(5 * time.Second)
				_, err := srv.Propose(ctx, kv.Put(0, 0, fmt.Sprintf("k%d", cl), fmt.Sprint(i)))
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("proposal failed: %v", err)
	}
	after := srv.Status()
	props := after.Proposals - before.Proposals
	syncs := after.Syncs - before.Syncs
	if props != clients*each {
		t.Fatalf("%d proposals counted, want %d", props, clients*each)
	}
	if syncs*2 > props {
		t.Fatalf("%d fsyncs for %d proposals: no group commit", syncs, props)
	}
	t.Logf("%d proposals, %d fsyncs", props, syncs)
}

// A clean stop and restart keeps term, vote, log and the state machine.
func TestRestartKeepsEverything(t *testing.T) {
	c := newTestCluster(t, 3)
	for i := 1; i <= 20; i++ {
		c.put(3, kv.Seq(i), fmt.Sprintf("key%d", i%5), fmt.Sprint(i))
	}
	c.caughtUp()
	before := map[raft.NodeID]Status{}
	for _, id := range c.ids {
		before[id] = c.nodes[id].srv.Status()
	}
	for _, id := range c.ids {
		c.stop(id)
	}
	for _, id := range c.ids {
		c.start(id)
		st := c.nodes[id].srv.Status()
		if st.Term < before[id].Term || st.LastIndex < before[id].LastIndex || st.Vote != before[id].Vote && st.Term == before[id].Term {
			t.Fatalf("node %d restarted with %+v, had %+v", id, st.Status, before[id].Status)
		}
	}
	for i := 16; i <= 20; i++ {
		if v, found := c.get(fmt.Sprintf("key%d", i%5)); !found || v != fmt.Sprint(i) {
			t.Fatalf("after restart key%d = %q %v, want %d", i%5, v, found, i)
		}
	}
	// The session table came back too: an old retry is answered, not
	// applied again.
	res := c.put(3, 20, "key0", "20")
	if !res.Retry {
		t.Fatalf("retry of seq 20 after restart was applied again: %+v", res)
	}
}

// A leader cut off from its peers ends its pending proposals with an
// unknown outcome, never a failure, and its reads with ErrReadAborted.
func TestLeadershipLossEndsPendingWithUnknownOutcome(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.leader()
	others := map[raft.NodeID]bool{}
	for _, id := range c.ids {
		if id != lead {
			others[id] = true
		}
	}
	c.nodes[lead].gate.set(others)
	srv := c.nodes[lead].srv
	ctx, cancel := ctxTimeout(10 * time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var perr, rerr error
	wg.Add(2)
	go func() { defer wg.Done(); _, perr = srv.Propose(ctx, kv.Put(0, 0, "x", "lost")) }()
	go func() { defer wg.Done(); _, _, rerr = srv.Read(ctx, "x") }()
	wg.Wait()
	if !errors.Is(perr, ErrUnknownOutcome) || errors.Is(perr, context.DeadlineExceeded) {
		t.Fatalf("pending proposal ended with %v, want ErrUnknownOutcome from the step-down", perr)
	}
	if !errors.Is(rerr, ErrReadAborted) {
		t.Fatalf("pending read ended with %v, want ErrReadAborted", rerr)
	}
	c.nodes[lead].gate.set(map[raft.NodeID]bool{})
	c.put(1, 1, "after", "heal")
}

// Stopping the server ends what waits in it, and Run returns.
func TestStopEndsWaitingRequests(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.leader()
	for _, id := range c.ids {
		if id != lead {
			c.stop(id)
		}
	}
	srv := c.nodes[lead].srv
	errc := make(chan error, 1)
	go func() {
		_, err := srv.Propose(context.Background(), kv.Put(0, 0, "x", "y"))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.stop(lead)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrUnknownOutcome) {
			t.Fatalf("proposal pending at stop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("proposal still waiting after stop")
	}
	if _, err := srv.Propose(context.Background(), kv.Put(0, 0, "x", "y")); !errors.Is(err, ErrStopped) {
		t.Fatalf("proposal after stop: %v", err)
	}
}

// With compaction on, a clean stop and restart resumes from the stored
// snapshot plus the log after it: term, vote, data and sessions intact,
// and the compacted entries gone from the file store.
func TestRestartFromSnapshotAndLog(t *testing.T) {
	c := newTestClusterWith(t, 3, clusterOpts{snapshotEvery: 20})
	for i := 1; i <= 70; i++ {
		c.put(3, kv.Seq(i), fmt.Sprintf("key%d", i%5), fmt.Sprint(i))
	}
	c.caughtUp()
	before := map[raft.NodeID]Status{}
	for _, id := range c.ids {
		before[id] = c.nodes[id].srv.Status()
	}
	for _, id := range c.ids {
		c.stop(id)
		if before[id].Snapshots == 0 && before[id].Restores == 0 || before[id].FirstIndex < 2 {
			t.Fatalf("node %d never compacted: %+v", id, before[id])
		}
	}
	for _, id := range c.ids {
		c.start(id)
		st := c.nodes[id].srv.Status()
		b := before[id]
		if st.Term < b.Term || st.Term == b.Term && st.Vote != b.Vote || st.LastIndex < b.LastIndex || st.FirstIndex < 2 {
			t.Fatalf("node %d restarted with %+v, had %+v", id, st.Status, b.Status)
		}
	}
	for _, id := range c.ids {
		// The state machine starts from the stored snapshot, not from an
		// empty store replaying a log that no longer starts at 1.
		for i := 0; c.nodes[id].srv.Status().Restores == 0; i++ {
			if i > 500 {
				t.Fatalf("node %d did not restore its snapshot: %+v", id, c.nodes[id].srv.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i := 66; i <= 70; i++ {
		if v, found := c.get(fmt.Sprintf("key%d", i%5)); !found || v != fmt.Sprint(i) {
			t.Fatalf("after restart key%d = %q %v, want %d", i%5, v, found, i)
		}
	}
	// The session table came back from the snapshot and the log: the
	// last command's retry is answered, an older one refused.
	if res := c.put(3, 70, "key0", "70"); !res.Retry {
		t.Fatalf("retry of seq 70 after restart was applied again: %+v", res)
	}
	if res := c.put(3, 30, "key0", "30"); res.Response.Status != kv.StatusStaleSequence {
		t.Fatalf("seq 30 after restart: %+v, want StaleSequence", res)
	}
}

// The byte trigger compacts when large commands fill the log, whatever
// their number; without it, the same commands leave the log whole.
func TestSnapshotBytesTrigger(t *testing.T) {
	big := strings.Repeat("v", 1000)
	for _, limit := range []int64{0, 8000} {
		c := newTestClusterWith(t, 3, clusterOpts{snapshotBytes: limit})
		for i := 1; i <= 30; i++ {
			c.put(5, kv.Seq(i), fmt.Sprintf("k%d", i), big)
		}
		st := c.nodes[c.leader()].srv.Status()
		switch {
		case limit == 0 && (st.Snapshots != 0 || st.FirstIndex != 1):
			t.Fatalf("no trigger, yet the leader compacted: %+v", st)
		case limit > 0 && (st.Snapshots < 2 || st.FirstIndex < 2):
			// 30 commands of over 1000 bytes: a snapshot every 8.
			t.Fatalf("SnapshotBytes %d: the leader made %d snapshots, first index %d; want at least 2", limit, st.Snapshots, st.FirstIndex)
		}
		for _, id := range c.ids {
			c.stop(id)
		}
	}
}

// With compaction on, a node cut off while the others compact past what
// it holds catches up from a snapshot sent over the real transport and
// stored in its file store, and its state machine is restored from it.
func TestLaggingNodeCatchesUpFromASnapshot(t *testing.T) {
	c := newTestClusterWith(t, 3, clusterOpts{snapshotEvery: 20})
	lead := c.leader()
	var lag raft.NodeID
	for _, id := range c.ids {
		if id != lead {
			lag = id
		}
	}
	all := map[raft.NodeID]bool{1: true, 2: true, 3: true}
	c.cutOff = lag
	c.nodes[lag].gate.set(all)
	for _, id := range c.ids {
		if id != lag {
			c.nodes[id].gate.set(map[raft.NodeID]bool{lag: true})
		}
	}
	for i := 1; i <= 100; i++ {
		c.put(4, kv.Seq(i), fmt.Sprintf("k%d", i%7), fmt.Sprint(i))
	}
	leadSt := c.nodes[c.leader()].srv.Status()
	if leadSt.Snapshots == 0 || leadSt.FirstIndex <= c.nodes[lag].srv.Status().LastIndex+1 {
		t.Fatalf("the leader did not compact past the lagging node: %+v, lagging %+v", leadSt, c.nodes[lag].srv.Status())
	}
	for _, id := range c.ids {
		c.nodes[id].gate.set(map[raft.NodeID]bool{})
	}
	c.cutOff = raft.None
	for i := 0; ; i++ {
		st := c.nodes[lag].srv.Status()
		if st.Applied >= leadSt.Commit {
			if st.Restores == 0 {
				t.Fatalf("node %d caught up without restoring a snapshot: %+v", lag, st)
			}
			break
		}
		if i > 1000 {
			t.Fatalf("node %d did not catch up: %+v", lag, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Stopped at the same applied index, the restored state machine
	// equals the leader's, sessions included.
	for _, id := range c.ids {
		c.stop(id)
	}
	a, b := c.nodes[lead].srv, c.nodes[lag].srv
	if a.store.AppliedIndex() != b.store.AppliedIndex() || a.store.Digest() != b.store.Digest() {
		t.Fatalf("after the install: leader applied %d digest %x, node %d applied %d digest %x",
			a.store.AppliedIndex(), a.store.Digest(), lag, b.store.AppliedIndex(), b.store.Digest())
	}
	if v, ok := b.store.Read("k2"); !ok || v != "100" {
		t.Fatalf("k2 on the restored node = %q, %v; want 100", v, ok)
	}
	// The installed snapshot is in the lagging node's file store, which
	// starts after it.
	st, err := filestore.Open(c.nodes[lag].dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, err := st.Snapshot()
	first, _ := st.FirstIndex()
	if err != nil || snap.Meta.Index == 0 || first < 2 || first > snap.Meta.Index+1 {
		t.Fatalf("node %d's store after the install: snapshot %v (%v), first index %d", lag, snap.Meta, err, first)
	}
}
