package scenarios

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// extraStream is the PCG stream of the generator's later choices: lease
// runs, crash-power cycles and a lagging state machine. Drawing them apart
// from generatorStream leaves every scenario that makes none of them as it
// was.
const extraStream = 0x67656e32 // "gen2"

// extras are the choices drawn from extraStream.
type extras struct {
	rng *rand.Rand
	// lease makes this a lease run: exact clocks, CheckQuorum, lease
	// reads, a read-heavy load from many clients, and the leader isolated
	// again and again (see leaseIsolations).
	lease bool
	// crashCycles adds crash, restart, power loss, restart cycles (see
	// crashPowerCycles).
	crashCycles bool
}

func newExtras(seed uint64, kinds []sim.ActionKind) *extras {
	x := &extras{rng: rand.New(rand.NewPCG(seed, extraStream))}
	// A lease outliving the followers' minimum election timeout shows
	// only when the leader is cut off while clients read from it; random
	// timelines seldom do that, so a fifth of the runs are built for it.
	x.lease = x.rng.IntN(5) == 0
	x.crashCycles = (slices.Contains(kinds, sim.ActCrash) || slices.Contains(kinds, sim.ActPowerLoss)) && x.rng.IntN(3) == 0
	return x
}

// leaseKinds drops the fault kinds under which leases are unsafe by
// design (clocks that drift or jump, nodes that pause).
func leaseKinds(kinds []sim.ActionKind) []sim.ActionKind {
	out := slices.DeleteFunc(slices.Clone(kinds), func(k sim.ActionKind) bool {
		return k == sim.ActClockDrift || k == sim.ActClockJump || k == sim.ActPause
	})
	if len(out) == 0 {
		out = append(out, sim.ActIsolate)
	}
	return out
}

// leaseRaft makes the Raft configuration a lease one.
func (x *extras) leaseRaft(r *sim.RaftConfig) {
	r.DisableCheckQuorum = false
	r.ReadMode = raft.ReadLease
	r.LeaseDriftTicks = x.rng.IntN(3)
}

// leaseWorkload makes the load read-heavy and wide: many clients, nearly
// all reading, so that some read from the leader after it is cut off. A
// client whose write hangs at a cut-off leader stops reading there until
// its attempt times out, so writes are rare. Without appends the
// histories stay cheap to check.
func (x *extras) leaseWorkload(w *sim.WorkloadConfig) {
	w.Clients = 10 + x.rng.IntN(min(21, max(1, 3*w.Keys-9)))
	w.Mix = sim.Mix{Get: 95 + x.rng.IntN(5), Put: 1 + x.rng.IntN(3), CAS: x.rng.IntN(2)}
	w.Think = time.Duration(10+x.rng.IntN(21)) * time.Millisecond
}

// leaseIsolations isolates whoever leads, several times, for a few
// hundred milliseconds each: long enough for the others to elect a new
// leader while the old one may still believe in its lease.
func (x *extras) leaseIsolations(cfg *sim.Config, cycle int) []slot {
	var out []slot
	at := 200*time.Millisecond + time.Duration(x.rng.IntN(300))*time.Millisecond
	for ; ; cycle++ {
		back := at + time.Duration(300+x.rng.IntN(201))*time.Millisecond
		if back >= cfg.Duration {
			return out
		}
		out = append(out,
			slot{at: at, cycle: cycle, lead: true, fixed: &sim.Action{At: at, Kind: sim.ActIsolate, Leader: true}},
			slot{at: back, cycle: cycle, fixed: &sim.Action{At: back, Kind: sim.ActHeal}})
		at = back + time.Duration(100+x.rng.IntN(300))*time.Millisecond
	}
}

// crashPowerCycles draws cycles of crash, restart, power loss and restart
// on one node, on slow disks: the process dies with writes in the page
// cache, a new one starts on them, and the machine then loses power before
// the disk has caught up. A restart that trusted the unsynced writes
// without making them durable loses data the node has acted on (raft's
// Storage restart contract). Each cycle is four ordinary actions, so a
// failure shrinks to the cycles that matter.
func (x *extras) crashPowerCycles(cfg *sim.Config, cycle int) []slot {
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+x.rng.IntN(hi-lo+1)) * time.Millisecond }
	cfg.Disk.SyncMin = ms(10, 25)
	cfg.Disk.SyncMax = cfg.Disk.SyncMin + ms(0, 20)
	every := ms(60, 150)
	start := ms(0, int(cfg.Duration/time.Millisecond)/3)
	var out []slot
	for at := start; ; at, cycle = at+every, cycle+1 {
		restart := at + ms(1, 4)
		power := restart + ms(2, 10)
		back := power + ms(1, 5)
		if back >= cfg.Duration {
			return out
		}
		id := []raft.NodeID{raft.NodeID(1 + x.rng.IntN(cfg.Nodes))}
		out = append(out,
			slot{at: at, cycle: cycle, lead: true, fixed: &sim.Action{At: at, Kind: sim.ActCrash, Nodes: id}},
			slot{at: restart, cycle: cycle, fixed: &sim.Action{At: restart, Kind: sim.ActRestart, Nodes: id}},
			slot{at: power, cycle: cycle, fixed: &sim.Action{At: power, Kind: sim.ActPowerLoss, Nodes: id}},
			slot{at: back, cycle: cycle, fixed: &sim.Action{At: back, Kind: sim.ActRestart, Nodes: id}})
	}
}

// outlastSyncs lengthens the election timeout to outlast the disks. A
// node sends what a Ready holds only once the Ready's writes are durable,
// so a leader busy with a sync holds back its heartbeats for as long as
// the sync takes; followers whose shortest election timeout is shorter
// than that gap depose a correct leader again and again, and the run
// misses its liveness bounds with nothing wrong. Two syncs leave room for
// a heartbeat queued just after a sync began, and for the follower's own
// sync before it handles the next message.
func outlastSyncs(cfg *sim.Config) {
	r := &cfg.Raft
	gap := syncGap(cfg)
	if need := int((gap + r.TickInterval - 1) / r.TickInterval); r.ElectionTicks < need {
		r.ElectionTicks = need
	}
}

// slowSync is the disk latency from which fitMessages widens messages:
// the crash-restart-power-loss cycles' disks (10 ms and more), not the
// ordinary draws (6 ms at most).
const slowSync = 10 * time.Millisecond

// fitMessages lets one message hold every client's command when the disks
// are slow. With a few entries a message, a follower that receives two out
// of order (each message draws its own delay) refuses the gap, and the
// leader falls back to probing, a message a round; when a round takes two
// syncs of tens of milliseconds, a dozen clients' retries grow the log
// faster than that drains it, and a correct cluster misses its progress
// bound (fuzz seeds 2584, 3704, 7537, 7538, 10465, 11806 and 12411: one
// entry a message, 10-12 clients, syncs of 18-45 ms). 0 is the default,
// 64.
func fitMessages(cfg *sim.Config) {
	r := &cfg.Raft
	if cfg.Disk.SyncMax >= slowSync && r.MaxEntriesPerMsg != 0 && r.MaxEntriesPerMsg < cfg.Workload.Clients {
		r.MaxEntriesPerMsg = cfg.Workload.Clients
	}
}

// syncGap is the longest a follower can go without a heartbeat from a
// healthy leader because of disk syncs alone.
func syncGap(cfg *sim.Config) time.Duration {
	return 2*cfg.Disk.SyncMax + time.Duration(cfg.Raft.HeartbeatTicks)*cfg.Raft.TickInterval
}

// applyLag draws, for a quarter of the runs, a state machine that applies
// on a thread of its own, so that confirmed reads wait for it.
func (x *extras) applyLag(d *sim.DiskConfig) {
	if x.rng.IntN(4) == 0 {
		d.ApplyLag = time.Duration(200+x.rng.IntN(4801)) * time.Microsecond
	}
}
