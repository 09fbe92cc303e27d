package netsim

import (
	"errors"
	"slices"
	"testing"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// reachability probes every directed link and returns the set that
// delivered, as "from->to" pairs in order.
func reachability(t *testing.T, n *Network) [][2]raft.NodeID {
	t.Helper()
	var out [][2]raft.NodeID
	for _, a := range n.ids {
		for _, b := range n.ids {
			if a != b && probe(t, n, a, b) {
				out = append(out, [2]raft.NodeID{a, b})
			}
		}
	}
	return out
}

// within lists every directed link inside each group.
func within(groups ...[]raft.NodeID) [][2]raft.NodeID {
	var out [][2]raft.NodeID
	for _, g := range groups {
		for _, a := range g {
			for _, b := range g {
				if a != b {
					out = append(out, [2]raft.NodeID{a, b})
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y [2]raft.NodeID) int {
		if x[0] != y[0] {
			return int(x[0]) - int(y[0])
		}
		return int(x[1]) - int(y[1])
	})
	return out
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPartitionStopsOnlyCrossGroupTraffic(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	if got, want := reachability(t, n), within(five); !slices.Equal(got, want) {
		t.Fatalf("full mesh reachability %v, want %v", got, want)
	}
	mustOK(t, n.Partition([]raft.NodeID{1, 2}, []raft.NodeID{3, 4, 5}))
	if got, want := reachability(t, n), within([]raft.NodeID{1, 2}, []raft.NodeID{3, 4, 5}); !slices.Equal(got, want) {
		t.Fatalf("partition {1,2} {3,4,5}: reachable %v, want %v", got, want)
	}
	if cut := n.Totals().DroppedCut; cut != 12 {
		t.Fatalf("DroppedCut = %d, want the 12 cross-group probes", cut)
	}
	n.Heal()
	if got, want := reachability(t, n), within(five); !slices.Equal(got, want) {
		t.Fatalf("after Heal reachable %v, want %v", got, want)
	}
}

func TestPartitionIsolatesUngroupedNodes(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Partition([]raft.NodeID{1, 2, 3}))
	if got, want := reachability(t, n), within([]raft.NodeID{1, 2, 3}); !slices.Equal(got, want) {
		t.Fatalf("partition {1,2,3}: reachable %v, want %v (4 and 5 alone)", got, want)
	}
	for _, bad := range [][][]raft.NodeID{
		{{1, 2}, {2, 3}},
		{{1, 1}},
		{{1}, {}},
	} {
		if err := n.Partition(bad...); !errors.Is(err, ErrBadTopology) {
			t.Errorf("Partition(%v) = %v, want ErrBadTopology", bad, err)
		}
	}
	if err := n.Partition([]raft.NodeID{1, 9}); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("Partition with unknown node = %v, want ErrUnknownNode", err)
	}
}

func TestIsolateAndRejoin(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Isolate(3))
	mustOK(t, n.Cut(1, 2))
	for _, other := range []raft.NodeID{1, 2, 4, 5} {
		if probe(t, n, 3, other) || probe(t, n, other, 3) {
			t.Fatalf("isolated node 3 talks with %d", other)
		}
	}
	if !probe(t, n, 4, 5) {
		t.Fatal("isolating 3 cut 4->5")
	}
	mustOK(t, n.Rejoin(3))
	if !probe(t, n, 3, 1) || !probe(t, n, 1, 3) {
		t.Fatal("node 3 still cut after Rejoin")
	}
	// Rejoin removes only the node's own cuts.
	if probe(t, n, 1, 2) {
		t.Fatal("Rejoin(3) removed the cut 1->2")
	}
	if err := n.Isolate(9); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("Isolate(9) = %v, want ErrUnknownNode", err)
	}
}

func TestOneWayCutIsOneWay(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Cut(1, 2))
	if probe(t, n, 1, 2) {
		t.Fatal("cut 1->2 let 1->2 through")
	}
	if !probe(t, n, 2, 1) {
		t.Fatal("cut 1->2 stopped 2->1")
	}
	if n.Connected(1, 2) || !n.Connected(2, 1) {
		t.Fatalf("Connected(1,2)=%v Connected(2,1)=%v", n.Connected(1, 2), n.Connected(2, 1))
	}
	mustOK(t, n.Connect(1, 2))
	if !probe(t, n, 1, 2) {
		t.Fatal("Connect(1, 2) did not restore 1->2")
	}
	if err := n.Cut(1, 1); err == nil {
		t.Fatal("Cut(1, 1) succeeded on a self-link")
	}
}

func TestBridgeTalksToBothSides(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Bridge(3, []raft.NodeID{1, 2}, []raft.NodeID{4, 5}))
	for _, side := range []raft.NodeID{1, 2, 4, 5} {
		if !probe(t, n, 3, side) || !probe(t, n, side, 3) {
			t.Fatalf("bridge 3 cannot talk with %d", side)
		}
	}
	for _, a := range []raft.NodeID{1, 2} {
		for _, b := range []raft.NodeID{4, 5} {
			if probe(t, n, a, b) || probe(t, n, b, a) {
				t.Fatalf("sides talk across the bridge: %d and %d", a, b)
			}
		}
	}
	if !probe(t, n, 1, 2) || !probe(t, n, 4, 5) {
		t.Fatal("bridge cut a side internally")
	}
	if err := n.Bridge(3, []raft.NodeID{3}, []raft.NodeID{4}); !errors.Is(err, ErrBadTopology) {
		t.Fatalf("bridge on its own side = %v, want ErrBadTopology", err)
	}
	if err := n.Bridge(3, nil, []raft.NodeID{4}); !errors.Is(err, ErrBadTopology) {
		t.Fatalf("bridge with an empty side = %v, want ErrBadTopology", err)
	}
}

func TestCutWhileInFlightDrops(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(10*ms)))
	arr := n.Send(0, 1, 2, raft.MsgVote)
	if len(arr) != 1 {
		t.Fatalf("Send returned %v", arr)
	}
	at := arr[0]
	mustOK(t, n.Partition([]raft.NodeID{1}, []raft.NodeID{2, 3, 4, 5}))
	if f := n.Arrive(at, 1, 2, raft.MsgVote, 1); f != FateDrop {
		t.Fatalf("in-flight message across a new partition: %v, want drop", f)
	}
	if c := n.Totals(); c.DroppedInFlight != 1 || c.DroppedCut != 0 {
		t.Fatalf("counters %+v, want one in-flight drop", c)
	}
	// A cut made and healed while a message flies does not touch it.
	n.Heal()
	arr = n.Send(at, 1, 2, raft.MsgVote)
	mustOK(t, n.Cut(1, 2))
	n.Heal()
	if f := n.Arrive(arr[0], 1, 2, raft.MsgVote, 2); f != FateDeliver {
		t.Fatalf("message on a link healed in flight: %v, want deliver", f)
	}
}

func TestClogHoldsInOrderThenReleases(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Clog(1, 2))
	for id := uint64(1); id <= 5; id++ {
		now := clock.Time(id)
		if f := n.Arrive(now, 1, 2, raft.MsgApp, id); f != FateHold {
			t.Fatalf("arrival %d on clogged link: %v, want hold", id, f)
		}
		// The reverse link is not clogged.
		if f := n.Arrive(now, 2, 1, raft.MsgAppResp, 100+id); f != FateDeliver {
			t.Fatalf("arrival on reverse link: %v, want deliver", f)
		}
	}
	if n.Held(1, 2) != 5 || !n.Clogged(1, 2) {
		t.Fatalf("Held = %d, Clogged = %v", n.Held(1, 2), n.Clogged(1, 2))
	}
	rel, err := n.Unclog(1, 2)
	mustOK(t, err)
	var ids []uint64
	for _, r := range rel {
		if r.From != 1 || r.To != 2 || r.Kind != raft.MsgApp {
			t.Fatalf("released %+v, want 1->2 App", r)
		}
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("released ids %v, want 1..5 in arrival order", ids)
	}
	c := n.LinkTotals(1, 2)
	if c.Held != 5 || c.Released != 5 || c.Delivered != 5 || c.Pending != 0 {
		t.Fatalf("counters after unclog %+v", c)
	}
	if f := n.Arrive(10, 1, 2, raft.MsgApp, 6); f != FateDeliver {
		t.Fatalf("arrival after unclog: %v, want deliver", f)
	}
}

func TestHealReleasesInArrivalOrderAcrossLinks(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Clog(3, 1))
	mustOK(t, n.Clog(1, 2))
	mustOK(t, n.Cut(4, 5))
	order := []struct {
		from, to raft.NodeID
		id       uint64
	}{{3, 1, 10}, {1, 2, 11}, {3, 1, 12}, {1, 2, 13}, {1, 2, 14}}
	for i, o := range order {
		if f := n.Arrive(clock.Time(i), o.from, o.to, raft.MsgHeartbeat, o.id); f != FateHold {
			t.Fatalf("arrival %d: %v, want hold", o.id, f)
		}
	}
	rel := n.Heal()
	var ids []uint64
	for _, r := range rel {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []uint64{10, 11, 12, 13, 14}) {
		t.Fatalf("Heal released %v, want arrival order 10..14", ids)
	}
	if n.Topology() != "connected" || !n.Connected(4, 5) {
		t.Fatalf("after Heal topology %q", n.Topology())
	}
	if again := n.Heal(); len(again) != 0 {
		t.Fatalf("second Heal released %v", again)
	}
}

func TestUnclogOnCutLinkDrops(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Clog(1, 2))
	n.Arrive(0, 1, 2, raft.MsgApp, 1)
	n.Arrive(0, 1, 2, raft.MsgApp, 2)
	mustOK(t, n.Cut(1, 2))
	rel, err := n.Unclog(1, 2)
	mustOK(t, err)
	if len(rel) != 0 {
		t.Fatalf("Unclog on a cut link released %v", rel)
	}
	c := n.LinkTotals(1, 2)
	if c.DroppedInFlight != 2 || c.Pending != 0 || c.Delivered != 0 {
		t.Fatalf("counters %+v, want 2 in-flight drops", c)
	}
}

func TestHeldOverflowDrops(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Clog(1, 2))
	for id := range uint64(HeldMax) {
		if f := n.Arrive(0, 1, 2, raft.MsgApp, id); f != FateHold {
			t.Fatalf("arrival %d: %v, want hold", id, f)
		}
	}
	if f := n.Arrive(0, 1, 2, raft.MsgApp, HeldMax); f != FateDrop {
		t.Fatalf("arrival beyond HeldMax: %v, want drop", f)
	}
	if c := n.LinkTotals(1, 2); c.DroppedOverflow != 1 || c.Pending != HeldMax {
		t.Fatalf("counters %+v", c)
	}
	if r := n.LastDrop(); r != DropOverflow {
		t.Fatalf("LastDrop() = %v, want %v", r, DropOverflow)
	}
}

// Every drop says why: loss, a one-way cut, or a partition (isolation and
// bridges included), at send time and in flight.
func TestDropReasons(t *testing.T) {
	lossy := Reliable(Constant(ms))
	lossy.Loss = Ratio{Num: 1, Den: 1}
	n := newNet(t, 1, five, lossy)
	if got := n.Send(0, 1, 2, raft.MsgApp); len(got) != 0 || n.LastDrop() != DropLoss || n.LastDrop().String() != "loss" {
		t.Fatalf("certain loss: %v, %v", got, n.LastDrop())
	}
	n = newNet(t, 1, five, Reliable(Constant(ms)))
	mustOK(t, n.Cut(1, 2))
	if got := n.Send(0, 1, 2, raft.MsgApp); len(got) != 0 || n.LastDrop() != DropCut || n.LastDrop().String() != "cut link" {
		t.Fatalf("one-way cut: %v, %v", got, n.LastDrop())
	}
	for _, fault := range []func() error{
		func() error { return n.Partition([]raft.NodeID{1, 2}, []raft.NodeID{3, 4, 5}) },
		func() error { return n.Isolate(3) },
		func() error { return n.Bridge(1, []raft.NodeID{2}, []raft.NodeID{3, 4, 5}) },
	} {
		n = newNet(t, 1, five, Reliable(Constant(ms)))
		arrivals := slices.Clone(n.Send(0, 2, 3, raft.MsgApp))
		mustOK(t, fault())
		if f := n.Arrive(arrivals[0], 2, 3, raft.MsgApp, 1); f != FateDrop || n.LastDrop() != DropPartition {
			t.Fatalf("in flight across a partition: %v, %v", f, n.LastDrop())
		}
		if got := n.Send(arrivals[0], 2, 3, raft.MsgApp); len(got) != 0 || n.LastDrop().String() != "partition" {
			t.Fatalf("sent across a partition: %v, %v", got, n.LastDrop())
		}
	}
}

func TestTopology(t *testing.T) {
	n := newNet(t, 1, []raft.NodeID{1, 2, 3}, Reliable(Constant(ms)))
	mustOK(t, n.Isolate(3))
	mustOK(t, n.Clog(1, 2))
	n.Arrive(0, 1, 2, raft.MsgApp, 1)
	want := "cut 1->3 2->3 3->1 3->2; clogged 1->2(held 1)"
	if got := n.Topology(); got != want {
		t.Fatalf("Topology() = %q, want %q", got, want)
	}
}
