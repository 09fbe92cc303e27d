package faultproxy

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair starts transports 1 and 2 with 1 reaching 2 through the proxy.
func pair(t *testing.T, p *Proxy) (*transport.Transport, *transport.Transport) {
	t.Helper()
	ln1, _ := net.Listen("tcp", "127.0.0.1:0")
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	via, err := p.AddLink(1, 2, ln2.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t1, err := transport.New(transport.Config{ClusterID: 1, ID: 1, Listener: ln1, Peers: map[raft.NodeID]string{2: via},
		BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := transport.New(transport.Config{ClusterID: 1, ID: 2, Listener: ln2, Peers: map[raft.NodeID]string{1: ln1.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	t1.Start(context.Background())
	t2.Start(context.Background())
	t.Cleanup(func() { t1.Close(); t2.Close() })
	for i := 0; !(t1.Connected(2) && t2.Connected(1)); i++ {
		if i > 500 {
			t.Fatal("no connection through the proxy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return t1, t2
}

func hb(from, to raft.NodeID, ctx uint64) []raft.Message {
	return []raft.Message{{Type: raft.MsgHeartbeat, From: from, To: to, Term: 1, Context: ctx}}
}

// arrives reports whether a message with context ctx arrives within d.
func arrives(tr *transport.Transport, ctx uint64, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case msgs := <-tr.Recv():
			for _, m := range msgs {
				if m.Context == ctx {
					return true
				}
			}
		case <-deadline:
			return false
		}
	}
}

func TestRelaysAndCutsOneWay(t *testing.T) {
	p := New()
	defer p.Close()
	t1, t2 := pair(t, p)
	t1.Send(hb(1, 2, 1))
	if !arrives(t2, 1, 5*time.Second) {
		t.Fatal("1 -> 2 not relayed")
	}
	t2.Send(hb(2, 1, 2))
	if !arrives(t1, 2, 5*time.Second) {
		t.Fatal("2 -> 1 not relayed")
	}
	p.SetDirection(1, 2, Fault{Drop: true})
	t1.Send(hb(1, 2, 3))
	t2.Send(hb(2, 1, 4))
	if !arrives(t1, 4, 5*time.Second) {
		t.Fatal("2 -> 1 cut by a 1 -> 2 partition")
	}
	if arrives(t2, 3, 200*time.Millisecond) {
		t.Fatal("1 -> 2 delivered through a cut")
	}
	if c := p.Counts(1, 2); c.Dropped == 0 || c.Relayed == 0 {
		t.Fatalf("counts 1->2: %+v", c)
	}
	p.HealAll()
	t1.Send(hb(1, 2, 5))
	if !arrives(t2, 5, 5*time.Second) {
		t.Fatal("1 -> 2 not relayed after healing")
	}
}

func TestDelaysFrames(t *testing.T) {
	p := New()
	defer p.Close()
	t1, t2 := pair(t, p)
	p.SetLink(1, 2, Fault{Delay: 300 * time.Millisecond})
	start := time.Now()
	t1.Send(hb(1, 2, 7))
	if !arrives(t2, 7, 5*time.Second) {
		t.Fatal("delayed frame never arrived")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("a frame delayed 300ms arrived after %v", d)
	}
}
