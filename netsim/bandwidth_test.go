package netsim

import (
	"errors"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// A link with a bandwidth sends one message at a time: each takes
// size/bandwidth on the link, after those sent before it, and then its
// delay. Links are independent, and sizes matter only with a bandwidth.
func TestBandwidthQueuesMessagesBySize(t *testing.T) {
	cfg := Reliable(Constant(ms))
	cfg.Bandwidth = 1 << 20 // 1 MiB/s: 1 KiB takes about 977us
	n := newNet(t, 1, five, cfg)
	at := clock.Time(0)
	kib := transmitTime(1024, 1<<20)
	if kib != 976562*time.Nanosecond {
		t.Fatalf("1 KiB at 1 MiB/s takes %v", kib)
	}
	for i, tc := range []struct {
		from, to raft.NodeID
		size     uint64
		want     time.Duration
	}{
		{1, 2, 1024, kib + ms},   // an idle link
		{1, 2, 1024, 2*kib + ms}, // behind the first
		{1, 2, 0, ms},            // a message of no size waits for nothing
		{1, 3, 1024, kib + ms},   // another link is idle
		{2, 1, 10 * 1024, transmitTime(10*1024, 1<<20) + ms}, // and so is the way back
		{1, 2, 512 * 1024, 2*kib + transmitTime(512*1024, 1<<20) + ms},
	} {
		got := n.SendSized(at, tc.from, tc.to, raft.MsgSnap, tc.size)
		if len(got) != 1 || got[0] != at.Add(tc.want) {
			t.Fatalf("case %d: %d->%d %dB arrives at %v, want %v", i, tc.from, tc.to, tc.size, got, at.Add(tc.want))
		}
	}
	// Later, the link has drained.
	at = at.Add(time.Second)
	if got := n.SendSized(at, 1, 2, raft.MsgSnap, 1024); got[0] != at.Add(kib+ms) {
		t.Fatalf("after the link drained: %v, want %v", got, at.Add(kib+ms))
	}
	// Without a bandwidth, size is free.
	free := newNet(t, 1, five, Reliable(Constant(ms)))
	if got := free.SendSized(0, 1, 2, raft.MsgSnap, 1<<30); got[0] != clock.Time(0).Add(ms) {
		t.Fatalf("unlimited link: %v", got)
	}
}

// A message that would wait longer than BacklogMax is dropped and
// counted; a lost message still takes its time on the link.
func TestBandwidthBacklogAndLoss(t *testing.T) {
	cfg := Reliable(Constant(ms))
	cfg.Bandwidth = BandwidthMin
	n := newNet(t, 1, five, cfg)
	second := uint64(BandwidthMin) // one second of link time
	for range int(BacklogMax/time.Second) + 1 {
		if got := n.SendSized(0, 1, 2, raft.MsgSnap, second); len(got) != 1 {
			t.Fatalf("a send within the backlog was dropped")
		}
	}
	if got := n.SendSized(0, 1, 2, raft.MsgSnap, second); got != nil {
		t.Fatalf("a send past BacklogMax arrives at %v", got)
	}
	if c := n.LinkTotals(1, 2); c.DroppedBacklog != 1 || c.Dropped() != 1 {
		t.Fatalf("counters %+v, want one backlog drop", c)
	}

	lossy := cfg
	lossy.Loss = Always
	n = newNet(t, 1, five, lossy)
	if got := n.SendSized(0, 1, 2, raft.MsgSnap, second); got != nil {
		t.Fatalf("a lost message arrives at %v", got)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(n.SetLink(1, 2, cfg))
	if got := n.SendSized(0, 1, 2, raft.MsgSnap, second); got[0] != clock.Time(0).Add(2*time.Second+ms) {
		t.Fatalf("behind a lost message: %v, want 2s+1ms", got)
	}
	if err := (LinkConfig{Delay: Constant(ms), Bandwidth: BandwidthMin - 1}).Validate(); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("bandwidth below the least: %v", err)
	}
}
