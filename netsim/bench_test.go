package netsim

import (
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// benchLinks cycles through every directed link of five nodes, so the
// benchmarks touch the whole link table as a simulator would.
var benchLinks = func() [][2]raft.NodeID {
	var out [][2]raft.NodeID
	for _, a := range five {
		for _, b := range five {
			if a != b {
				out = append(out, [2]raft.NodeID{a, b})
			}
		}
	}
	return out
}()

func benchNet(b *testing.B, cfg LinkConfig) *Network {
	n, err := New(five, rand.New(rand.NewPCG(1, 0)), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func faultyConfig() LinkConfig {
	return LinkConfig{
		Delay:     LongTail(ms, 5*ms, Ratio{1, 20}, 100*ms),
		Loss:      Ratio{1, 100},
		Duplicate: Ratio{1, 100},
		Reorder:   Reorder{Ratio: Ratio{1, 10}, Window: 5 * ms},
	}
}

func benchSend(b *testing.B, cfg LinkConfig) {
	n := benchNet(b, cfg)
	b.ReportAllocs()
	copies, j := 0, 0
	for i := 0; b.Loop(); i++ {
		l := benchLinks[j]
		if j++; j == len(benchLinks) {
			j = 0
		}
		copies += len(n.Send(clock.Time(i), l[0], l[1], raft.MsgApp))
	}
	if copies == 0 {
		b.Fatal("no copies sent")
	}
}

func BenchmarkSendReliable(b *testing.B) { benchSend(b, Reliable(Uniform(ms, 5*ms))) }

func BenchmarkSendFaulty(b *testing.B) { benchSend(b, faultyConfig()) }

func BenchmarkArriveDeliver(b *testing.B) {
	n := benchNet(b, Reliable(Constant(ms)))
	b.ReportAllocs()
	j := 0
	for i := 0; b.Loop(); i++ {
		l := benchLinks[j]
		if j++; j == len(benchLinks) {
			j = 0
		}
		if n.Arrive(clock.Time(i), l[0], l[1], raft.MsgAppResp, uint64(i)) != FateDeliver {
			b.Fatal("not delivered")
		}
	}
}

// BenchmarkArriveClogged holds every arrival on one clogged link and
// releases the queue every 1000 arrivals; Unclog's allocation is spread
// over those arrivals.
func BenchmarkArriveClogged(b *testing.B) {
	n := benchNet(b, Reliable(Constant(ms)))
	if err := n.Clog(1, 2); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if n.Arrive(clock.Time(i), 1, 2, raft.MsgApp, uint64(i)) != FateHold {
			b.Fatal("not held")
		}
		if i%1000 == 999 {
			if _, err := n.Unclog(1, 2); err != nil {
				b.Fatal(err)
			}
			if err := n.Clog(1, 2); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSendArrive is one message's full trip on a faulty link: Send,
// then Arrive for each copy.
func BenchmarkSendArrive(b *testing.B) {
	n := benchNet(b, faultyConfig())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l := benchLinks[i%len(benchLinks)]
		now := clock.Time(i) * clock.Time(200*ms)
		// Copies may come back out of order; an event queue would pop them
		// in order, so arrive no earlier than the previous copy.
		last := now
		for _, at := range n.Send(now, l[0], l[1], raft.MsgHeartbeat) {
			last = max(last, at)
			n.Arrive(last, l[0], l[1], raft.MsgHeartbeat, uint64(i))
		}
	}
}
