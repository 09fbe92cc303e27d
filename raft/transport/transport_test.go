package transport

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/raftsim/raftsim/raft"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond every few milliseconds for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

type cluster struct {
	ts    map[raft.NodeID]*Transport
	addrs map[raft.NodeID]string
}

// newCluster starts n transports on loopback; tweak adjusts each config.
func newCluster(t *testing.T, n int, tweak func(*Config)) *cluster {
	t.Helper()
	c := &cluster{ts: map[raft.NodeID]*Transport{}, addrs: map[raft.NodeID]string{}}
	lns := map[raft.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		id := raft.NodeID(i)
		lns[id] = listen(t)
		c.addrs[id] = lns[id].Addr().String()
	}
	for i := 1; i <= n; i++ {
		id := raft.NodeID(i)
		peers := map[raft.NodeID]string{}
		for j, a := range c.addrs {
			if j != id {
				peers[j] = a
			}
		}
		cfg := Config{ClusterID: 42, ID: id, Listener: lns[id], Peers: peers, ClientAddr: "client-" + c.addrs[id],
			BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
		if tweak != nil {
			tweak(&cfg)
		}
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.Start(context.Background())
		c.ts[id] = tr
		t.Cleanup(func() { tr.Close() })
	}
	return c
}

func (c *cluster) connected(a, b raft.NodeID) bool {
	return c.ts[a].Connected(b) && c.ts[b].Connected(a)
}

// recvOne waits up to 5 s for a batch.
func recvOne(t *testing.T, tr *Transport) []raft.Message {
	t.Helper()
	select {
	case msgs := <-tr.Recv():
		return msgs
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	return nil
}

func TestMessagesFlowBothWays(t *testing.T) {
	c := newCluster(t, 3, nil)
	waitFor(t, "full mesh", func() bool { return c.connected(1, 2) && c.connected(1, 3) && c.connected(2, 3) })
	if got := c.ts[1].ClientAddr(3); got != "client-"+c.addrs[3] {
		t.Fatalf("node 1 learned client address %q for node 3", got)
	}
	if got := c.ts[3].ClientAddr(1); got != "client-"+c.addrs[1] {
		t.Fatalf("node 3 learned client address %q for node 1", got)
	}
	ent := []raft.Entry{{Term: 2, Index: 5, Type: raft.EntryNormal, Data: []byte("hello")}}
	c.ts[1].Send([]raft.Message{{Type: raft.MsgApp, From: 1, To: 3, Term: 2, Entries: ent}})
	got := recvOne(t, c.ts[3])
	if len(got) != 1 || got[0].Type != raft.MsgApp || string(got[0].Entries[0].Data) != "hello" {
		t.Fatalf("node 3 received %v", got)
	}
	// The acceptor answers on the same connection.
	c.ts[3].Send([]raft.Message{{Type: raft.MsgAppResp, From: 3, To: 1, Term: 2, Index: 5}})
	got = recvOne(t, c.ts[1])
	if len(got) != 1 || got[0].From != 3 || got[0].Index != 5 {
		t.Fatalf("node 1 received %v", got)
	}
}

func TestBatchesWaitingMessagesIntoFewFrames(t *testing.T) {
	c := newCluster(t, 2, nil)
	waitFor(t, "connection", func() bool { return c.connected(1, 2) })
	var msgs []raft.Message
	for i := 1; i <= 500; i++ {
		msgs = append(msgs, raft.Message{Type: raft.MsgHeartbeat, From: 1, To: 2, Term: 1, Context: uint64(i)})
	}
	c.ts[1].Send(msgs)
	var got []raft.Message
	batches := 0
	for len(got) < len(msgs) {
		got = append(got, recvOne(t, c.ts[2])...)
		batches++
	}
	for i, m := range got {
		if m.Context != uint64(i+1) {
			t.Fatalf("message %d has context %d: order lost", i, m.Context)
		}
	}
	if batches >= len(msgs) {
		t.Fatalf("%d messages arrived in %d frames: no batching", len(msgs), batches)
	}
}

func TestRefusesOtherClusterAndStrangers(t *testing.T) {
	ln1, ln2 := listen(t), listen(t)
	a, err := New(Config{ClusterID: 1, ID: 1, Listener: ln1, Peers: map[raft.NodeID]string{2: ln2.Addr().String()}, BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{ClusterID: 2, ID: 2, Listener: ln2, Peers: map[raft.NodeID]string{1: ln1.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	a.Start(context.Background())
	b.Start(context.Background())
	defer a.Close()
	defer b.Close()
	waitFor(t, "refusals", func() bool { return a.Stats().Refused >= 2 && b.Stats().Refused >= 2 })
	if a.Connected(2) || b.Connected(1) {
		t.Fatal("nodes of different clusters connected")
	}
	a.Send([]raft.Message{{Type: raft.MsgHeartbeat, From: 1, To: 2}})
	select {
	case m := <-b.Recv():
		t.Fatalf("node of cluster 2 received %v from cluster 1", m)
	case <-time.After(50 * time.Millisecond):
	}

	// A hello naming a node that is not a member, or the wrong target.
	for _, h := range []Hello{{Cluster: 2, From: 9, To: 2}, {Cluster: 2, From: 1, To: 5}} {
		conn, err := net.Dial("tcp", ln2.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(AppendFrame(nil, KindHello, AppendHello(nil, h)))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := ReadFrame(conn, 1024)
		conn.Close()
		if err != nil || f.Kind != KindRefuse {
			t.Fatalf("hello %+v: got %v %v, want a refusal", h, f.Kind, err)
		}
		if !strings.Contains(string(f.Payload), "not a member") && !strings.Contains(string(f.Payload), "addressed to node 5") {
			t.Fatalf("hello %+v refused for %q", h, f.Payload)
		}
	}
}

// A peer that sends a message claiming another sender loses its
// connection; the message is not delivered.
func TestClosesConnectionOnMisaddressedMessage(t *testing.T) {
	ln := listen(t)
	tr, err := New(Config{ClusterID: 1, ID: 2, Listener: ln, Peers: map[raft.NodeID]string{1: "127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Start(context.Background())
	defer tr.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(AppendFrame(nil, KindHello, AppendHello(nil, Hello{Cluster: 1, From: 1, To: 2})))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if f, err := ReadFrame(conn, 1024); err != nil || f.Kind != KindWelcome {
		t.Fatalf("handshake: %v %v", f.Kind, err)
	}
	conn.Write(AppendFrame(nil, KindMessages, AppendMessages(nil, []raft.Message{{Type: raft.MsgHeartbeat, From: 3, To: 2}})))
	waitFor(t, "the bad frame to be counted", func() bool { return tr.Stats().BadFrames == 1 })
	if _, err := ReadFrame(conn, 1024); err == nil {
		t.Fatal("connection still open after a misaddressed message")
	}
	select {
	case m := <-tr.Recv():
		t.Fatalf("delivered %v", m)
	default:
	}
}

// With the peer down, Send returns at once and counts what it dropped.
func TestSendNeverBlocksOnADeadPeer(t *testing.T) {
	ln := listen(t)
	dead := listen(t)
	deadAddr := dead.Addr().String()
	dead.Close()
	tr, err := New(Config{ClusterID: 1, ID: 1, Listener: ln, Peers: map[raft.NodeID]string{2: deadAddr}, QueueMessages: 4})
	if err != nil {
		t.Fatal(err)
	}
	tr.Start(context.Background())
	defer tr.Close()
	msgs := make([]raft.Message, 10000)
	for i := range msgs {
		msgs[i] = raft.Message{Type: raft.MsgHeartbeat, From: 1, To: 2}
	}
	done := make(chan struct{})
	go func() { tr.Send(msgs); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked on a dead peer")
	}
	tr.Send([]raft.Message{{Type: raft.MsgHeartbeat, From: 1, To: 7}})
	waitFor(t, "every message accounted for", func() bool {
		s := tr.Stats()
		return s.DroppedFull+s.DroppedNoConn == uint64(len(msgs)) && s.DroppedUnknown == 1
	})
	if s := tr.Stats(); s.DroppedFull == 0 {
		t.Fatalf("queue of 4 took 10000 messages: %+v", s)
	}
}

// A node that restarts on the same address is reconnected to.
func TestReconnectsAfterPeerRestart(t *testing.T) {
	c := newCluster(t, 2, nil)
	waitFor(t, "connection", func() bool { return c.connected(1, 2) })
	c.ts[2].Close()
	waitFor(t, "node 1 to notice", func() bool { return !c.ts[1].Connected(2) })
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the port may linger briefly
		if ln, err = net.Listen("tcp", c.addrs[2]); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{ClusterID: 42, ID: 2, Listener: ln, Peers: map[raft.NodeID]string{1: c.addrs[1]}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Start(context.Background())
	defer tr.Close()
	waitFor(t, "reconnection", func() bool { return c.ts[1].Connected(2) && tr.Connected(1) })
	c.ts[1].Send([]raft.Message{{Type: raft.MsgHeartbeat, From: 1, To: 2, Term: 9}})
	if got := recvOne(t, tr); got[0].Term != 9 {
		t.Fatalf("after reconnecting, received %v", got)
	}
	if s := c.ts[1].Stats(); s.Connects < 2 {
		t.Fatalf("node 1 counted %d connects", s.Connects)
	}
}

// Close returns promptly while a reader is blocked delivering to a node
// that stopped reading, and leaves no goroutine behind (TestMain).
func TestCloseUnblocksEverything(t *testing.T) {
	c := newCluster(t, 2, func(cfg *Config) { cfg.RecvBatches = 1 })
	waitFor(t, "connection", func() bool { return c.connected(1, 2) })
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.ts[1].Send([]raft.Message{{Type: raft.MsgHeartbeat, From: 1, To: 2}})
		}()
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { c.ts[2].Close(); c.ts[1].Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
}
