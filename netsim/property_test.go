package netsim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

func drawRatio(t *rapid.T, label string) Ratio {
	den := rapid.Uint32Range(1, 4).Draw(t, label+".den")
	return Ratio{Num: rapid.Uint32Range(0, den).Draw(t, label+".num"), Den: den}
}

func drawDelay(t *rapid.T) Delay {
	lo := time.Duration(rapid.Int64Range(0, int64(5*ms)).Draw(t, "min"))
	hi := lo + time.Duration(rapid.Int64Range(0, int64(5*ms)).Draw(t, "span"))
	switch rapid.IntRange(0, 2).Draw(t, "delayKind") {
	case 0:
		return Constant(lo)
	case 1:
		return Uniform(lo, hi)
	}
	tailMax := hi + time.Duration(rapid.Int64Range(0, int64(50*ms)).Draw(t, "tail"))
	return LongTail(lo, hi, drawRatio(t, "tailRatio"), tailMax)
}

func drawConfig(t *rapid.T) LinkConfig {
	cfg := LinkConfig{
		Delay:     drawDelay(t),
		Loss:      drawRatio(t, "loss"),
		Duplicate: drawRatio(t, "dup"),
		Reorder:   Reorder{Ratio: drawRatio(t, "reorder"), Window: 0},
	}
	if !cfg.Reorder.Ratio.IsZero() {
		cfg.Reorder.Window = time.Duration(rapid.Int64Range(1, int64(10*ms)).Draw(t, "window"))
	}
	return cfg
}

// modelHeld is the reference for one held copy.
type modelHeld struct {
	from, to raft.NodeID
	kind     raft.MessageType
	id       uint64
}

type flowKey struct {
	from, to raft.NodeID
	kind     raft.MessageType
}

// harness drives a network and keeps the test's own view of it: the copies
// in flight and a naive model of the hold queues.
type harness struct {
	t        *rapid.T
	n        *Network
	nodes    []raft.NodeID
	now      clock.Time
	nextID   uint64
	queue    []flight        // copies in flight
	inflight map[flowKey]int // looked up only, never iterated
	held     []modelHeld     // every held copy, in hold order
}

func (h *harness) pickLink() (from, to raft.NodeID) {
	from = rapid.SampledFrom(h.nodes).Draw(h.t, "from")
	others := slices.DeleteFunc(slices.Clone(h.nodes), func(x raft.NodeID) bool { return x == from })
	return from, rapid.SampledFrom(others).Draw(h.t, "to")
}

func (h *harness) send(step int) {
	from, to := h.pickLink()
	kind := raft.MessageType(rapid.IntRange(1, 3).Draw(h.t, "kind"))
	for _, at := range h.n.Send(h.now, from, to, kind) {
		if at < h.now || at > h.now.Add(2*DelayLimit) {
			h.t.Fatalf("step %d: arrival %v for send at %v", step, at, h.now)
		}
		h.nextID++
		h.queue = append(h.queue, flight{at, from, to, kind, h.nextID})
		h.inflight[flowKey{from, to, kind}]++
	}
}

// arrive delivers the earliest copy in flight and checks its fate against
// the topology the network reports (a paired assertion).
func (h *harness) arrive(step int) {
	if len(h.queue) == 0 {
		return
	}
	slices.SortFunc(h.queue, compareFlight)
	f := h.queue[0]
	h.queue = h.queue[1:]
	h.now = f.at
	h.inflight[flowKey{f.from, f.to, f.kind}]--
	want := FateDeliver
	if !h.n.Connected(f.from, f.to) {
		want = FateDrop
	} else if h.n.Clogged(f.from, f.to) {
		want = FateHold
	}
	if got := h.n.Arrive(h.now, f.from, f.to, f.kind, f.id); got != want {
		h.t.Fatalf("step %d: Arrive %d->%d = %v, want %v (topology %s)", step, f.from, f.to, got, want, h.n.Topology())
	}
	if want == FateHold {
		h.held = append(h.held, modelHeld{f.from, f.to, f.kind, f.id})
	}
}

func (h *harness) linkFault() {
	from, to := h.pickLink()
	var err error
	switch rapid.IntRange(0, 5).Draw(h.t, "linkOp") {
	case 0:
		err = h.n.Cut(from, to)
	case 1:
		err = h.n.Connect(from, to)
	case 2:
		err = h.n.Clog(from, to)
	case 3:
		err = h.n.SetLink(from, to, drawConfig(h.t))
	case 4:
		err = h.n.Isolate(from)
	case 5:
		err = h.n.Partition(h.nodes[:2], h.nodes[2:3])
	}
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) unclog(step int) {
	from, to := h.pickLink()
	cut := !h.n.Connected(from, to)
	got, err := h.n.Unclog(from, to)
	if err != nil {
		h.t.Fatal(err)
	}
	var want []Released
	h.held = slices.DeleteFunc(h.held, func(m modelHeld) bool {
		if m.from != from || m.to != to {
			return false
		}
		if !cut {
			want = append(want, Released{From: from, To: to, Kind: m.kind, ID: m.id})
		}
		return true
	})
	if !slices.Equal(got, want) {
		h.t.Fatalf("step %d: Unclog(%d, %d) released %v, model %v", step, from, to, got, want)
	}
}

func (h *harness) heal(step int) {
	got := h.n.Heal()
	var want []Released
	for _, m := range h.held {
		want = append(want, Released{From: m.from, To: m.to, Kind: m.kind, ID: m.id})
	}
	h.held = nil
	if !slices.Equal(got, want) {
		h.t.Fatalf("step %d: Heal released %v, model %v", step, got, want)
	}
}

// TestPropCountersBalance drives a network with random configurations,
// faults and traffic, and checks after every step that each link and kind
// balances: Sent + Duplicated == Delivered + Dropped + Pending + in flight;
// that every fate matches the topology; and that releases come back
// exactly as the model of the hold queues predicts.
func TestPropCountersBalance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := []raft.NodeID{1, 2, 3, 4}
		seed := rapid.Uint64().Draw(t, "seed")
		n, err := New(nodes, rand.New(rand.NewPCG(seed, 0)), drawConfig(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		h := &harness{t: t, n: n, nodes: nodes, inflight: map[flowKey]int{}}
		for step := range rapid.IntRange(1, 300).Draw(t, "steps") {
			switch op := rapid.IntRange(0, 14).Draw(t, "op"); {
			case op <= 5:
				h.send(step)
			case op <= 10:
				h.arrive(step)
			case op == 11:
				h.linkFault()
			case op == 12:
				h.unclog(step)
			case op == 13:
				h.heal(step)
			case op == 14:
				if err := n.SetDefault(drawConfig(t)); err != nil {
					t.Fatal(err)
				}
			}
			checkBalance(t, n, step, func(from, to raft.NodeID, kind raft.MessageType) int {
				return h.inflight[flowKey{from, to, kind}]
			}, h.held)
		}
	})
}

// checkBalance asserts the accounting identity on every link and kind, and
// that the pending counts match the model's hold queues.
func checkBalance(t *rapid.T, n *Network, step int, inflight func(from, to raft.NodeID, kind raft.MessageType) int, held []modelHeld) {
	var total Counters
	for _, s := range n.Stats() {
		total.Add(s.Counters)
		in := uint64(inflight(s.From, s.To, s.Kind))
		if s.Sent+s.Duplicated != s.Delivered+s.Dropped()+s.Pending+in {
			t.Fatalf("step %d: %d->%d %v unbalanced: %+v with %d in flight", step, s.From, s.To, s.Kind, s.Counters, in)
		}
		if s.Held < s.Released+s.Pending {
			t.Fatalf("step %d: %d->%d %v released more than held: %+v", step, s.From, s.To, s.Kind, s.Counters)
		}
	}
	if got := n.Totals(); got != total {
		t.Fatalf("step %d: Totals %+v != sum of Stats %+v", step, got, total)
	}
	if total.Pending != uint64(len(held)) {
		t.Fatalf("step %d: %d copies pending, model holds %d", step, total.Pending, len(held))
	}
	for _, h := range held {
		if n.Held(h.from, h.to) == 0 {
			t.Fatalf("step %d: model holds %d on %d->%d, network holds none", step, h.id, h.from, h.to)
		}
	}
	stats := n.Stats()
	if !slices.IsSortedFunc(stats, func(a, b LinkStats) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Kind, b.Kind))
	}) {
		t.Fatalf("step %d: Stats not sorted: %+v", step, stats)
	}
}
