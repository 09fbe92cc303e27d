package sim

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// Every traced message has an ID that pairs its send with each copy's
// delivery, hold or drop, and every drop says why: loss, a one-way cut,
// a partition, or a crashed receiver, each only where that fault was.
func TestMessageIDsAndDropReasons(t *testing.T) {
	cfg := Defaults()
	cfg.Seed = 3
	cfg.Duration, cfg.HealDuration = 3*time.Second, 2*time.Second
	cfg.Network.Loss = netsim.Ratio{Num: 1, Den: 100}
	cfg.Network.Duplicate = netsim.Ratio{Num: 1, Den: 100}
	// One-way cuts from every node to every higher one: whoever leads
	// has a cut link.
	for from := raft.NodeID(1); from <= 5; from++ {
		for to := from + 1; to <= 5; to++ {
			cfg.Timeline = append(cfg.Timeline, Action{At: 500 * time.Millisecond, Kind: ActCutOneWay, From: from, To: to})
		}
	}
	cfg.Timeline = append(cfg.Timeline, []Action{
		{At: 900 * time.Millisecond, Kind: ActHeal},
		{At: 1000 * time.Millisecond, Kind: ActPartition, Groups: [][]raft.NodeID{{1, 2}, {3, 4, 5}}},
		{At: 1500 * time.Millisecond, Kind: ActHeal},
		{At: 2000 * time.Millisecond, Kind: ActCrash, Nodes: []raft.NodeID{4}},
		{At: 2400 * time.Millisecond, Kind: ActRestart, Nodes: []raft.NodeID{4}},
	}...)
	res, lines := traced(t, cfg)
	type key struct {
		from, to uint64
		msg      string
		term     uint64
	}
	sent := map[uint64]key{}
	var next uint64 = 1
	reasons := map[string]int{}
	dups := 0
	ms := func(d int) int64 { return int64(time.Duration(d) * time.Millisecond) }
	for _, l := range lines {
		switch l.Ev {
		case "send":
			if l.ID != next {
				t.Fatalf("trace #%d: send with id %d, want %d (ids count the sends)", l.Seq, l.ID, next)
			}
			next++
			sent[l.ID] = key{l.Node, l.Peer, l.Msg, l.Term}
		case "deliver", "drop", "dup", "hold":
			k, ok := sent[l.ID]
			from, to := l.Node, l.Peer
			if l.Ev == "deliver" {
				from, to = l.Peer, l.Node
			}
			if !ok || k != (key{from, to, l.Msg, l.Term}) {
				t.Fatalf("trace #%d: %s of id %d (%d->%d %s term %d) pairs with no send (%+v, %v)", l.Seq, l.Ev, l.ID, from, to, l.Msg, l.Term, k, ok)
			}
		}
		if l.Ev == "dup" {
			dups++
		}
		if l.Ev != "drop" {
			continue
		}
		reasons[l.Text]++
		switch l.Text {
		case "loss":
		case "cut link":
			if l.Node >= l.Peer || l.T < ms(500) || l.T >= ms(900) {
				t.Errorf("trace #%d: a cut-link drop %d->%d at %v, outside the cuts low->high of 500ms..900ms", l.Seq, l.Node, l.Peer, time.Duration(l.T))
			}
		case "partition":
			if l.T < ms(1000) || l.T >= ms(1500) {
				t.Errorf("trace #%d: a partition drop at %v, outside the partition", l.Seq, time.Duration(l.T))
			}
		case DropCrashedReceiver:
			if l.Peer != 4 || l.T < ms(2000) || l.T >= ms(2400) {
				t.Errorf("trace #%d: a crashed-receiver drop to %d at %v", l.Seq, l.Peer, time.Duration(l.T))
			}
		default:
			t.Errorf("trace #%d: drop for %q", l.Seq, l.Text)
		}
	}
	for _, r := range []string{"loss", "cut link", "partition", DropCrashedReceiver} {
		if reasons[r] == 0 {
			t.Errorf("no drop for %q (drops: %v)", r, reasons)
		}
	}
	if dups == 0 {
		t.Error("no duplicated message: the duplicate's id went unchecked")
	}
	if next-1 != res.Messages.Sent {
		t.Errorf("%d sends traced, %d messages sent", next-1, res.Messages.Sent)
	}
}
