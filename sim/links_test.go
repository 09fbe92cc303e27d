package sim

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// transit returns the delays of deliveries of messages of kind sent in
// [from, to): the gap between each send and its delivery, matched by ID.
func transit(lines []line, kind string, from, to time.Duration) []time.Duration {
	sent := map[uint64]int64{}
	var out []time.Duration
	for _, l := range lines {
		if l.Msg != kind {
			continue
		}
		switch l.Ev {
		case "send":
			if between(l, from, to) {
				sent[l.ID] = l.T
			}
		case "deliver":
			if t0, ok := sent[l.ID]; ok {
				out = append(out, time.Duration(l.T-t0))
			}
		}
	}
	return out
}

func minMax(ds []time.Duration) (time.Duration, time.Duration) {
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for _, d := range ds {
		lo, hi = min(lo, d), max(hi, d)
	}
	return lo, hi
}

// A setting for some messages applies to those alone; it ends with the
// fault phase unless it outlives the heal.
func TestLinkSettingsPerMessageKind(t *testing.T) {
	slow := netsim.Reliable(netsim.Constant(40 * ms))
	for _, outlive := range []bool{false, true} {
		cfg := small(1)
		cfg.Network = netsim.Reliable(netsim.Constant(ms))
		cfg.NetworkKinds = []KindLink{{Messages: MessagesRequests, Link: netsim.Reliable(netsim.Constant(2 * ms))}}
		cfg.Timeline = []Action{{At: time.Second, Kind: ActLink, Messages: MessagesResponses, Link: slow, OutliveHeal: outlive},
			{At: 1500 * ms, Kind: ActLink, MsgTypes: []raft.MessageType{raft.MsgHeartbeat}, Link: slow}}
		res, lines := traced(t, cfg)
		requirePass(t, res)
		check := func(kind string, from, to, want time.Duration) {
			t.Helper()
			ds := transit(lines, kind, from, to)
			if lo, hi := minMax(ds); len(ds) == 0 || lo != want || hi != want {
				t.Errorf("outlive %v: %s sent in [%v, %v): %d transits %v..%v, want %v", outlive, kind, from, to, len(ds), lo, hi, want)
			}
		}
		check("HeartbeatResp", 0, time.Second, ms)
		check("Heartbeat", 0, time.Second, 2*ms)
		check("HeartbeatResp", time.Second, 3*time.Second, 40*ms)
		check("AppResp", time.Second, 3*time.Second, 40*ms)
		check("App", time.Second, 3*time.Second, 2*ms)
		check("Heartbeat", 1500*ms, 3*time.Second, 40*ms)
		// The healing phase restores [network], requests' setting too.
		check("Heartbeat", 3*time.Second, 5*time.Second, 2*ms)
		if outlive {
			check("HeartbeatResp", 3*time.Second, 5*time.Second-100*ms, 40*ms)
		} else {
			check("HeartbeatResp", 3*time.Second, 5*time.Second, ms)
		}
	}
}
