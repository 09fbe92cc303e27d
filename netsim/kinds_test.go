package netsim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// A kind's setting applies to that kind only, survives SetLink and
// SetDefault, and goes with ResetLink.
func TestLinkKindSettings(t *testing.T) {
	n, err := New([]raft.NodeID{1, 2}, rand.New(rand.NewPCG(1, 2)), Reliable(Constant(time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	slow := Reliable(Constant(50 * time.Millisecond))
	if err := n.SetLinkKind(1, 2, raft.MsgAppResp, slow); err != nil {
		t.Fatal(err)
	}
	arrive := func(kind raft.MessageType) time.Duration {
		at := n.Send(0, 1, 2, kind)
		if len(at) != 1 {
			t.Fatalf("%v: %d copies", kind, len(at))
		}
		return at[0].Duration()
	}
	if arrive(raft.MsgAppResp) != 50*time.Millisecond || arrive(raft.MsgApp) != time.Millisecond {
		t.Fatal("the kind's setting did not apply to that kind alone")
	}
	if at := n.Send(0, 2, 1, raft.MsgAppResp); at[0].Duration() != time.Millisecond {
		t.Fatal("the kind's setting leaked to the other direction")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(n.SetLink(1, 2, Reliable(Constant(2*time.Millisecond))))
	must(n.SetDefault(Reliable(Constant(3 * time.Millisecond))))
	if arrive(raft.MsgAppResp) != 50*time.Millisecond || arrive(raft.MsgApp) != 2*time.Millisecond {
		t.Fatal("SetLink or SetDefault changed the kind's setting")
	}
	if cfg, _ := n.LinkKind(1, 2, raft.MsgAppResp); cfg != slow {
		t.Fatalf("LinkKind = %v", cfg)
	}
	must(n.ResetLink(1, 2))
	if arrive(raft.MsgAppResp) != 3*time.Millisecond {
		t.Fatal("ResetLink kept the kind's setting")
	}
	if err := n.SetLinkKind(1, 2, 0, slow); err == nil {
		t.Fatal("kind 0 accepted")
	}
	if err := n.SetLinkKind(1, 2, raft.MsgApp, LinkConfig{}); err == nil {
		t.Fatal("an invalid setting accepted")
	}
}
