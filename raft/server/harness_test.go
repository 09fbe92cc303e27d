package server

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/filestore"
	"github.com/raftsim/raftsim/raft/transport"
)

// testNode is one server of a test cluster with its own transport and
// file store; stop and start model a clean restart.
type testNode struct {
	id   raft.NodeID
	dir  string
	addr string
	// ln, until the node first starts, holds addr's port so that nothing
	// else (another test's server, an outgoing connection's ephemeral
	// port) can take it between choosing it and listening on it.
	ln     net.Listener
	tr     *transport.Transport
	st     *filestore.Store
	srv    *Server
	cancel context.CancelFunc
	runErr chan error
	// gate, if set, filters the node's outgoing messages (a partition).
	gate *gate
}

type testCluster struct {
	t     *testing.T
	nodes map[raft.NodeID]*testNode
	ids   []raft.NodeID
	opts  clusterOpts
	// cutOff is a node the test has cut off from the others: leader()
	// leaves it out, since it loses the leader after an election timeout
	// (and, under load, before the test is done with the others).
	cutOff raft.NodeID
}

// clusterOpts vary a test cluster: its compaction policy.
type clusterOpts struct {
	snapshotEvery int
	snapshotBytes int64
}

// gate wraps a transport and drops messages to blocked peers.
type gate struct {
	inner   Transport
	blocked chan map[raft.NodeID]bool
}

func newGate(inner Transport) *gate {
	g := &gate{inner: inner, blocked: make(chan map[raft.NodeID]bool, 1)}
	g.blocked <- map[raft.NodeID]bool{}
	return g
}

func (g *gate) set(peers map[raft.NodeID]bool) { <-g.blocked; g.blocked <- peers }

func (g *gate) Send(msgs []raft.Message) {
	b := <-g.blocked
	g.blocked <- b
	out := msgs[:0:0]
	for _, m := range msgs {
		if !b[m.To] {
			out = append(out, m)
		}
	}
	g.inner.Send(out)
}

func (g *gate) Recv() <-chan []raft.Message { return g.inner.Recv() }

func newTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	return newTestClusterWith(t, n, clusterOpts{})
}

func newTestClusterWith(t *testing.T, n int, opts clusterOpts) *testCluster {
	t.Helper()
	c := &testCluster{t: t, nodes: map[raft.NodeID]*testNode{}, opts: opts}
	for i := 1; i <= n; i++ {
		id := raft.NodeID(i)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.ids = append(c.ids, id)
		c.nodes[id] = &testNode{id: id, dir: t.TempDir(), addr: ln.Addr().String(), ln: ln}
	}
	for _, id := range c.ids {
		c.start(id)
	}
	t.Cleanup(func() {
		for _, id := range c.ids {
			c.stop(id)
			if ln := c.nodes[id].ln; ln != nil { // never started
				ln.Close()
			}
		}
	})
	return c
}

func (c *testCluster) start(id raft.NodeID) {
	t := c.t
	t.Helper()
	n := c.nodes[id]
	ln, err := n.ln, error(nil)
	n.ln = nil
	for i := 0; ln == nil && i < 200; i++ { // a restarted node's port may linger briefly
		if ln, err = net.Listen("tcp", n.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	peers := map[raft.NodeID]string{}
	for _, j := range c.ids {
		if j != id {
			peers[j] = c.nodes[j].addr
		}
	}
	n.tr, err = transport.New(transport.Config{ClusterID: 1, ID: id, Listener: ln, Peers: peers,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n.st, err = filestore.Open(n.dir, filestore.Options{}); err != nil {
		t.Fatal(err)
	}
	n.gate = newGate(n.tr)
	n.srv, err = New(Config{ID: id, Voters: c.ids, Storage: n.st, Transport: n.gate,
		TickInterval: 10 * time.Millisecond, ElectionTicks: 30, HeartbeatTicks: 3,
		SnapshotEvery: c.opts.snapshotEvery, SnapshotBytes: c.opts.snapshotBytes, SnapshotKeep: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.tr.Start(ctx)
	n.runErr = make(chan error, 1)
	go func() { n.runErr <- n.srv.Run(ctx) }()
}

// stop ends a node's server, transport and store, as SIGTERM would.
func (c *testCluster) stop(id raft.NodeID) {
	n := c.nodes[id]
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	if err := <-n.runErr; err != nil {
		c.t.Errorf("node %d: Run: %v", id, err)
	}
	n.tr.Close()
	if err := n.st.Close(); err != nil {
		c.t.Errorf("node %d: closing the store: %v", id, err)
	}
}

// leader waits up to 10 s for a leader that every running node knows.
func (c *testCluster) leader() raft.NodeID {
	c.t.Helper()
	for i := 0; i < 1000; i++ {
		var lead raft.NodeID
		agree := true
		for _, id := range c.ids {
			n := c.nodes[id]
			if n.cancel == nil || id == c.cutOff {
				continue
			}
			st := n.srv.Status()
			if lead == raft.None {
				lead = st.Leader
			}
			if st.Leader == raft.None || st.Leader != lead {
				agree = false
			}
		}
		if agree && lead != raft.None && c.nodes[lead].srv.Status().Role == raft.RoleLeader {
			return lead
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatal("no leader within 10s")
	return raft.None
}

func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// retryable reports whether a request may simply be retried elsewhere.
func retryable(err error) bool {
	return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, ErrBusy) || errors.Is(err, ErrReadAborted) || errors.Is(err, ErrOverwritten)
}

// caughtUp waits until every node has applied the leader's commit index
// as it stood when called (a follower on a loaded machine lags behind the
// leader's replies to its clients).
func (c *testCluster) caughtUp() {
	c.t.Helper()
	commit := c.nodes[c.leader()].srv.Status().Commit
	for _, id := range c.ids {
		for i := 0; c.nodes[id].srv.Status().Applied < commit; i++ {
			if i > 1000 {
				c.t.Fatalf("node %d did not apply up to %d: %+v", id, commit, c.nodes[id].srv.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
