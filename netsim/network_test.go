package netsim

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

var five = []raft.NodeID{1, 2, 3, 4, 5}

func newNet(t testing.TB, seed uint64, nodes []raft.NodeID, cfg LinkConfig) *Network {
	t.Helper()
	n, err := New(nodes, rand.New(rand.NewPCG(seed, 0)), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// probe sends one message at the network's latest time and reports whether
// any copy was delivered, calling Arrive for each copy at its arrival time.
// Held copies count as not delivered.
func probe(t testing.TB, n *Network, from, to raft.NodeID) bool {
	t.Helper()
	delivered := false
	arrivals := slices.Sorted(slices.Values(n.Send(n.now, from, to, raft.MsgApp)))
	for _, at := range arrivals {
		if n.Arrive(at, from, to, raft.MsgApp, 0) == FateDeliver {
			delivered = true
		}
	}
	return delivered
}

func TestNewErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 0))
	good := Reliable(Constant(ms))
	tests := []struct {
		name  string
		nodes []raft.NodeID
		rng   *rand.Rand
		cfg   LinkConfig
		want  error
	}{
		{"nil rng", five, nil, good, ErrBadNodes},
		{"no nodes", nil, rng, good, ErrBadNodes},
		{"node zero", []raft.NodeID{0, 1}, rng, good, ErrBadNodes},
		{"duplicate", []raft.NodeID{1, 2, 1}, rng, good, ErrBadNodes},
		{"bad config", five, rng, LinkConfig{}, ErrBadConfig},
	}
	for _, tt := range tests {
		if _, err := New(tt.nodes, tt.rng, tt.cfg); !errors.Is(err, tt.want) {
			t.Errorf("%s: New = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNodeLookup(t *testing.T) {
	// Both the dense table and the binary search for large IDs.
	for _, nodes := range [][]raft.NodeID{{3, 1, 2}, {1 << 40, 7, denseIDLimit + 1}} {
		n := newNet(t, 1, nodes, Reliable(Constant(ms)))
		sorted := slices.Sorted(slices.Values(nodes))
		if got := n.Nodes(); !slices.Equal(got, sorted) {
			t.Fatalf("Nodes() = %v, want %v", got, sorted)
		}
		for i, id := range sorted {
			if p := n.pos(id); p != i {
				t.Errorf("pos(%d) = %d, want %d", id, p, i)
			}
		}
		for _, id := range []raft.NodeID{0, 4, 8, 1<<40 + 1, 1 << 63} {
			if p := n.pos(id); p != -1 {
				t.Errorf("pos(%d) = %d for an unknown node", id, p)
			}
		}
		if !probe(t, n, sorted[0], sorted[2]) {
			t.Errorf("nodes %v: reliable link dropped a message", nodes)
		}
		if err := n.Cut(sorted[0], 4); !errors.Is(err, ErrUnknownNode) {
			t.Errorf("Cut to unknown node = %v, want ErrUnknownNode", err)
		}
	}
}

func TestSendReliable(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Uniform(ms, 3*ms)))
	now := clock.Time(time.Second)
	for range 100 {
		arr := n.Send(now, 1, 2, raft.MsgHeartbeat)
		if len(arr) != 1 {
			t.Fatalf("reliable link returned %d arrivals", len(arr))
		}
		if d := arr[0].Sub(now); d < ms || d > 3*ms {
			t.Fatalf("delay %v outside [1ms, 3ms]", d)
		}
		if f := n.Arrive(arr[0], 1, 2, raft.MsgHeartbeat, 9); f != FateDeliver {
			t.Fatalf("Arrive = %v, want deliver", f)
		}
		now = arr[0]
	}
	want := Counters{Sent: 100, Delivered: 100}
	if got := n.LinkTotals(1, 2); got != want {
		t.Fatalf("counters %+v, want %+v", got, want)
	}
}

func TestLossAlwaysAndNever(t *testing.T) {
	lossy := Reliable(Constant(ms))
	lossy.Loss = Always
	n := newNet(t, 1, five, lossy)
	for i := range 1000 {
		if arr := n.Send(clock.Time(i), 1, 2, raft.MsgApp); len(arr) != 0 {
			t.Fatalf("loss 1/1 let a message through: %v", arr)
		}
	}
	if got := n.Totals(); got.Sent != 1000 || got.DroppedLoss != 1000 || got.Dropped() != 1000 {
		t.Fatalf("loss 1/1 counters %+v", got)
	}
	n = newNet(t, 1, five, Reliable(Constant(ms)))
	for i := range 1000 {
		if !probe(t, n, 2, 1) {
			t.Fatalf("loss 0 dropped message %d", i)
		}
	}
	half := Reliable(Constant(ms))
	half.Loss = Ratio{1, 2}
	n = newNet(t, 1, five, half)
	for i := range 1000 {
		n.Send(clock.Time(i), 1, 2, raft.MsgApp)
	}
	if lost := n.Totals().DroppedLoss; lost < 400 || lost > 600 {
		t.Fatalf("loss 1/2 dropped %d of 1000", lost)
	}
}

func TestDuplicateYieldsCopiesWithOwnDelays(t *testing.T) {
	cfg := Reliable(Uniform(ms, 100*ms))
	cfg.Duplicate = Always
	n := newNet(t, 1, five, cfg)
	arr := slices.Clone(n.Send(0, 1, 2, raft.MsgApp))
	if len(arr) != CopiesMax {
		t.Fatalf("duplicate 1/1 gave %d copies, want CopiesMax %d", len(arr), CopiesMax)
	}
	slices.Sort(arr)
	if distinct := slices.Compact(arr); len(distinct) < 2 {
		t.Fatalf("copies share one arrival time: %v", arr)
	}
	cfg.Duplicate = Ratio{1, 2}
	n = newNet(t, 1, five, cfg)
	twos := 0
	for i := range 1000 {
		arr := n.Send(clock.Time(i), 1, 2, raft.MsgApp)
		if len(arr) == 2 {
			twos++
		}
	}
	if twos < 150 || twos > 350 {
		t.Fatalf("duplicate 1/2: %d of 1000 messages had exactly two copies, want about 250", twos)
	}
	// Copies follow a geometric law cut at CopiesMax: 0.875 extra copies
	// per message on average, with a standard deviation of about 33 over
	// 1000 messages.
	if got := n.Totals(); got.Duplicated < 750 || got.Duplicated > 1000 {
		t.Fatalf("duplicate 1/2: %d extra copies for 1000 messages, want about 875", got.Duplicated)
	}
}

func TestReorderOvertakes(t *testing.T) {
	cfg := Reliable(Constant(ms))
	// On a constant link messages keep their order.
	n := newNet(t, 1, five, cfg)
	if inversions(n) != 0 {
		t.Fatal("constant delay reordered messages")
	}
	cfg.Reorder = Reorder{Ratio: Ratio{1, 5}, Window: 10 * ms}
	n = newNet(t, 1, five, cfg)
	if inv := inversions(n); inv == 0 {
		t.Fatal("reorder 1/5 within 10ms never reordered")
	}
}

// inversions sends 1000 messages 100µs apart and counts the pairs of
// consecutive messages whose arrivals are out of order.
func inversions(n *Network) int {
	var prev clock.Time
	inv := 0
	for i := range 1000 {
		arr := n.Send(clock.Time(i*int(100*time.Microsecond)), 1, 2, raft.MsgApp)
		if i > 0 && arr[0] < prev {
			inv++
		}
		prev = arr[0]
	}
	return inv
}

func TestLinkOverrideSurvivesSetDefault(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	if err := n.SetLink(1, 2, Reliable(Constant(7*ms))); err != nil {
		t.Fatal(err)
	}
	if err := n.SetDefault(Reliable(Constant(3 * ms))); err != nil {
		t.Fatal(err)
	}
	delay := func(from, to raft.NodeID) time.Duration {
		return n.Send(0, from, to, raft.MsgApp)[0].Sub(0)
	}
	if d := delay(1, 2); d != 7*ms {
		t.Fatalf("overridden link delay %v, want 7ms", d)
	}
	if d := delay(2, 1); d != 3*ms {
		t.Fatalf("reverse link delay %v, want the new default 3ms", d)
	}
	if err := n.ResetLink(1, 2); err != nil {
		t.Fatal(err)
	}
	if d := delay(1, 2); d != 3*ms {
		t.Fatalf("reset link delay %v, want 3ms", d)
	}
	if err := n.SetLink(1, 2, LinkConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("SetLink with zero config = %v, want ErrBadConfig", err)
	}
	if err := n.SetLink(1, 1, Reliable(Constant(ms))); err == nil {
		t.Fatal("SetLink on a self-link succeeded")
	}
	if err := n.SetDefault(LinkConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("SetDefault with zero config = %v, want ErrBadConfig", err)
	}
	if cfg, err := n.Link(3, 4); err != nil || cfg.Delay != Constant(3*ms) {
		t.Fatalf("Link(3, 4) = %v, %v; want the default", cfg, err)
	}
}

func TestMisusePanics(t *testing.T) {
	tests := []struct {
		name string
		f    func(n *Network)
	}{
		{"send to self", func(n *Network) { n.Send(0, 1, 1, raft.MsgApp) }},
		{"send to unknown", func(n *Network) { n.Send(0, 1, 9, raft.MsgApp) }},
		{"arrive from unknown", func(n *Network) { n.Arrive(0, 9, 1, raft.MsgApp, 0) }},
		{"time backwards", func(n *Network) {
			n.Send(10, 1, 2, raft.MsgApp)
			n.Arrive(9, 1, 2, raft.MsgApp, 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNet(t, 1, five, Reliable(Constant(ms)))
			defer func() {
				if recover() == nil {
					t.Fatalf("%s did not panic", tt.name)
				}
			}()
			tt.f(n)
		})
	}
}

func TestKindsBeyondRaftTypesAreCounted(t *testing.T) {
	n := newNet(t, 1, five, Reliable(Constant(ms)))
	n.Send(0, 1, 2, 200)
	stats := n.Stats()
	if len(stats) != 1 || stats[0].Kind != 200 || stats[0].Sent != 1 {
		t.Fatalf("Stats() = %+v, want one entry for kind 200", stats)
	}
}

// faultyRun drives a network with a workload and faults drawn from a
// separate stream, and returns a digest of every decision made.
func faultyRun(seed uint64) string {
	cfg := LinkConfig{
		Delay:     LongTail(ms, 5*ms, Ratio{1, 20}, 50*ms),
		Loss:      Ratio{1, 10},
		Duplicate: Ratio{1, 10},
		Reorder:   Reorder{Ratio: Ratio{1, 10}, Window: 3 * ms},
	}
	n, err := New(five, rand.New(rand.NewPCG(seed, 0)), cfg)
	if err != nil {
		panic(err)
	}
	work := rand.New(rand.NewPCG(seed, 1))
	h := sha256.New()
	var inflight []flight
	now := clock.Time(0)
	for i := range 5000 {
		now = now.Add(time.Duration(work.IntN(int(ms))))
		// Deliver what is due by now, earliest first, ties by id.
		slices.SortFunc(inflight, compareFlight)
		for len(inflight) > 0 && inflight[0].at <= now {
			f := inflight[0]
			inflight = inflight[1:]
			fmt.Fprintf(h, "arrive %d %v\n", f.id, n.Arrive(f.at, f.from, f.to, f.kind, f.id))
		}
		from, to := pickLink(work)
		kind := raft.MessageType(1 + work.IntN(raft.NumMessageTypes-1))
		for _, at := range n.Send(now, from, to, kind) {
			inflight = append(inflight, flight{at, from, to, kind, uint64(i)})
			fmt.Fprintf(h, "send %d %d->%d %v at %v\n", i, from, to, kind, at)
		}
		var err error
		switch work.IntN(100) {
		case 0:
			err = n.Partition(five[:2], five[2:])
		case 1:
			err = n.Clog(pickLink(work))
		case 2:
			for _, r := range n.Heal() {
				fmt.Fprintf(h, "released %+v\n", r)
			}
		}
		if err != nil {
			panic(err)
		}
	}
	fmt.Fprintf(h, "%+v\n", n.Stats())
	return fmt.Sprintf("%x", h.Sum(nil))
}

type flight struct {
	at       clock.Time
	from, to raft.NodeID
	kind     raft.MessageType
	id       uint64
}

func compareFlight(a, b flight) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// pickLink draws a directed link between two distinct nodes of five.
func pickLink(rng *rand.Rand) (from, to raft.NodeID) {
	f := rng.IntN(5)
	t := (f + 1 + rng.IntN(4)) % 5
	return five[f], five[t]
}

func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 2, 42} {
		a, b := faultyRun(seed), faultyRun(seed)
		if a != b {
			t.Fatalf("seed %d: two runs differ: %s vs %s\nrepro: go test ./netsim/ -run TestDeterminism", seed, a, b)
		}
		if c := faultyRun(seed + 100); c == a {
			t.Fatalf("seeds %d and %d give the same digest %s: the seed is ignored", seed, seed+100, a)
		}
	}
}
