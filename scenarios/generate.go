package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// GenerateOptions tune Generate.
type GenerateOptions struct {
	// Duration is the fault phase of each scenario; zero means
	// DefaultGenerateDuration.
	Duration time.Duration
	// DiskFaults says how often the disk-fault dimension is drawn; zero
	// means DiskFaultsGenerated.
	DiskFaults DiskFaultMode
}

// DefaultGenerateDuration is the fault phase of a generated scenario.
const DefaultGenerateDuration = 3 * time.Second

// generatorStream is the PCG stream of the generator, apart from the
// simulator's streams of the same seed.
const generatorStream = 0x67656e // "gen"

// Generate derives a random scenario from seed, for fuzzing. It is swarm
// testing: the seed picks every option - cluster size, Raft knobs, link
// settings, the workload, which fault kinds this run uses at all, and a
// timeline of them - so that across seeds every combination comes up,
// including ones a hand-written test would not try. Some timelines add a
// burst on top: crash_new_leaders from early on to the end, or power
// cycles every few milliseconds (see powerCycles). Every generated
// configuration is one that is supposed to be safe: lease reads appear
// only with clocks that neither drift nor jump and nodes that are never
// paused. So every generated scenario expects a pass, and a failure is
// either a bug or a generator that asks too much (for example liveness
// bounds too tight for its faults). The same seed and options always give
// the same scenario.
func Generate(seed uint64, opts GenerateOptions) *Scenario {
	if opts.Duration <= 0 {
		opts.Duration = DefaultGenerateDuration
	}
	if opts.DiskFaults == 0 {
		opts.DiskFaults = DiskFaultsGenerated
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorStream))}
	cfg := sim.Defaults()
	cfg.Seed = seed
	cfg.Nodes = []int{3, 5, 5, 7}[g.rng.IntN(4)]
	cfg.Duration = opts.Duration
	kinds := g.kinds()
	g.x = newExtras(seed, kinds)
	if g.x.lease {
		kinds = leaseKinds(kinds)
	}
	g.raft(&cfg.Raft, kinds)
	cfg.Network = g.link(false)
	cfg.Disk = sim.DiskConfig{SyncMin: g.dur(0, time.Millisecond).Truncate(time.Microsecond)}
	cfg.Disk.SyncMax = cfg.Disk.SyncMin + g.dur(0, 5*time.Millisecond).Truncate(time.Microsecond)
	g.workload(&cfg.Workload)
	if g.x.lease {
		g.x.leaseRaft(&cfg.Raft)
		g.x.leaseWorkload(&cfg.Workload)
	}
	g.x.applyLag(&cfg.Disk)
	cfg.Timeline = g.timeline(&cfg, kinds)
	nemeses := snapshots(seed, &cfg)
	churns := membership(seed, &cfg)
	spareHits := spareFaults(seed, &cfg)
	overlap := overlappingChange(seed, &cfg)
	always := opts.DiskFaults == DiskFaultsAlways
	file := store(seed, &cfg, always)
	var diskAdded []string
	if file {
		diskAdded = diskFaults(seed, &cfg, always)
	}
	outlastSyncs(&cfg)
	fitMessages(&cfg)
	fitAttempts(&cfg)
	// The bounds follow from the configuration (timeouts, delays, loss,
	// clocks), so a correct Raft never misses them; see livenessBounds.
	cfg.Liveness = livenessBounds(&cfg)
	cfg.HealDuration = cfg.Liveness.ProgressWithin + 500*time.Millisecond
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.String()
	}
	return &Scenario{
		Name: generatedName(seed, opts.DiskFaults),
		Description: fmt.Sprintf("Generated from seed %d: %d nodes, %s reads, faults: %s.",
			seed, cfg.Nodes, cfg.Raft.ReadMode, strings.Join(names, ", ")) + describeSnapshots(&cfg, nemeses) + describeMembership(&cfg, churns, spareHits, overlap) + describeStore(file) + describeDiskFaults(diskAdded) + describeDiskFaultMode(opts.DiskFaults),
		Seed:   seed,
		Config: cfg,
	}
}

type generator struct {
	rng *rand.Rand
	x   *extras
}

// chance is true with probability num/den.
func (g *generator) chance(num, den int) bool { return g.rng.IntN(den) < num }

// dur draws uniformly from [lo, hi].
func (g *generator) dur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// ms draws whole milliseconds from [lo, hi], for readable files.
func (g *generator) ms(lo, hi time.Duration) time.Duration {
	return g.dur(lo, hi).Truncate(time.Millisecond)
}

// ratio draws a percentage in [0, maxPct], in lowest terms as Parse
// would give it.
func (g *generator) ratio(maxPct int) netsim.Ratio {
	return reduced(netsim.Ratio{Num: uint32(g.rng.IntN(maxPct + 1)), Den: 100})
}

// kinds picks the fault kinds this scenario uses: each with probability
// one half, at least one.
func (g *generator) kinds() []sim.ActionKind {
	var out []sim.ActionKind
	all := sim.FaultKinds()
	for _, k := range all {
		if g.chance(1, 2) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		out = append(out, all[g.rng.IntN(len(all))])
	}
	return out
}

func (g *generator) raft(r *sim.RaftConfig, kinds []sim.ActionKind) {
	r.TickInterval = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}[g.rng.IntN(3)]
	r.ElectionTicks = 8 + g.rng.IntN(8)
	r.HeartbeatTicks = 1 + g.rng.IntN(max(1, r.ElectionTicks/4))
	r.DisablePreVote = g.chance(1, 4)
	r.DisableCheckQuorum = g.chance(1, 4)
	// Small batches and windows send old entries apart from new ones and
	// fill windows: that is where replication bugs show (Figure 8 needs an
	// old-term entry replicated without the new leader's own entry).
	r.MaxEntriesPerMsg = []int{0, 1, 2, 4, 64}[g.rng.IntN(5)]
	r.MaxInflightMsgs = []int{0, 2, 8, 256}[g.rng.IntN(4)]
	r.ReadMode = raft.ReadIndex
	// Leases are safe only while clocks run at one rate and no node
	// stops: only then may the generator use them.
	leaseSafe := !r.DisableCheckQuorum
	for _, k := range kinds {
		if k == sim.ActClockDrift || k == sim.ActClockJump || k == sim.ActPause {
			leaseSafe = false
		}
	}
	if leaseSafe && g.chance(1, 2) {
		r.ReadMode = raft.ReadLease
		r.LeaseDriftTicks = g.rng.IntN(3)
	}
}

// link draws link settings; bad ones are worse, for link actions.
func (g *generator) link(bad bool) netsim.LinkConfig {
	lo := g.ms(0, 2*time.Millisecond)
	hi := lo + g.ms(time.Millisecond, 8*time.Millisecond)
	lc := netsim.Reliable(netsim.Uniform(lo, hi))
	if !bad && g.chance(1, 6) {
		// A constant delay keeps nodes in lockstep: without randomized
		// election timeouts, their candidacies would collide forever.
		return netsim.Reliable(netsim.Constant(hi))
	}
	if g.chance(1, 3) {
		lc.Delay = netsim.LongTail(lo, hi, g.ratio(15), hi+g.ms(10*time.Millisecond, 100*time.Millisecond))
	}
	worst := 10
	if bad {
		worst = 30
	}
	if g.chance(1, 2) {
		lc.Loss = g.ratio(worst)
	}
	if g.chance(1, 2) {
		lc.Duplicate = g.ratio(worst)
	}
	if g.chance(1, 3) {
		lc.Reorder = netsim.Reorder{Ratio: g.ratio(20), Window: g.ms(5*time.Millisecond, 30*time.Millisecond)}
		if lc.Reorder.Ratio.IsZero() {
			lc.Reorder = netsim.NoReorder
		}
	}
	return lc
}

func (g *generator) workload(w *sim.WorkloadConfig) {
	// Histories of many clients on few keys, with appends and deletes of
	// unknown outcome, can take porcupine longer than any budget (one of
	// 1,720 operations on 3 keys from 12 clients took 45s): keep at least
	// three keys and at most two clients per key, so that a fuzz run ends
	// with a verdict.
	w.Keys = 3 + g.rng.IntN(8)
	w.Clients = 1 + g.rng.IntN(min(12, 2*w.Keys))
	// Reads and puts keep the linearizability search small: a key that
	// only grows by appends, with few reads and some appends of unknown
	// outcome, can take porcupine longer than its budget (16-19s for
	// 1,000-1,500 operations). Every workload reads and puts.
	w.Mix = sim.Mix{Get: 2 + g.rng.IntN(9), Put: 1 + g.rng.IntN(10), Append: g.rng.IntN(11), Delete: g.rng.IntN(4), CAS: g.rng.IntN(11)}
	w.Attempt = g.ms(100*time.Millisecond, 500*time.Millisecond)
	// Operations whose outcome stays unknown (appends above all) are what
	// makes the linearizability search expensive: clients keep retrying
	// for at least half a second more than one attempt.
	w.Deadline = w.Attempt + g.ms(500*time.Millisecond, 2*time.Second)
	w.Think = g.ms(0, 20*time.Millisecond)
	w.Latency = g.dur(0, time.Millisecond).Truncate(time.Microsecond)
}

// maxGeneratedActions bounds a generated timeline.
const maxGeneratedActions = 16

// timeline draws actions at random times, each of a kind this scenario
// uses, with targets that the timeline so far makes sensible. A draw that
// would contradict the timeline is redrawn, a bounded number of times.
func (g *generator) timeline(cfg *sim.Config, kinds []sim.ActionKind) []sim.Action {
	n := 2 + g.rng.IntN(maxGeneratedActions-1)
	slots := make([]slot, n)
	for i := range slots {
		slots[i].at = g.ms(0, cfg.Duration-time.Millisecond)
	}
	if slices.Contains(kinds, sim.ActPowerLoss) && g.chance(1, 3) {
		slots = append(slots, g.powerCycles(cfg)...)
	}
	if slices.Contains(kinds, sim.ActCrashNewLeaders) && g.chance(1, 2) {
		// Churn from early on to the end: Figure 8 needs a chain of
		// elections, and a burst that starts late holds too few.
		at := g.ms(0, cfg.Duration/3)
		a := &sim.Action{At: at, Kind: sim.ActCrashNewLeaders, Until: cfg.Duration}
		g.churnPace(a)
		slots = append(slots, slot{at: at, cycle: -1, fixed: a})
	}
	if g.x.crashCycles {
		slots = append(slots, g.x.crashPowerCycles(cfg, 1<<20)...)
	}
	if g.x.lease {
		slots = append(slots, g.x.leaseIsolations(cfg, 2<<20)...)
	}
	slices.SortStableFunc(slots, func(x, y slot) int { return cmp.Compare(x.at, y.at) })
	st := newTimelineState(cfg.Nodes)
	var out []sim.Action
	lost := map[int]bool{} // cycles whose first action was dropped
	add := func(a *sim.Action) bool {
		saved := st.clone()
		if _, msg := st.step(len(out), a); msg != "" {
			st = saved
			return false
		}
		out = append(out, *a)
		return true
	}
	for _, sl := range slots {
		if sl.fixed != nil {
			if sl.lead {
				lost[sl.cycle] = !add(sl.fixed)
			} else if !lost[sl.cycle] {
				add(sl.fixed)
			}
			continue
		}
		for range 8 {
			a := g.action(sl.at, kinds[g.rng.IntN(len(kinds))], cfg, st)
			if a != nil && add(a) {
				break
			}
		}
	}
	return out
}

// churnPace draws how soon crash_new_leaders crashes a new leader and how
// long the leader stays down.
func (g *generator) churnPace(a *sim.Action) {
	a.After = g.ms(0, 20*time.Millisecond)
	a.RestartAfter = g.ms(20*time.Millisecond, 300*time.Millisecond)
}

// slot is a time in a generated timeline: for an action of a random kind,
// or for a fixed one (a power cycle's power loss or restart, with the
// cycle's number; or a long churn, cycle -1).
type slot struct {
	at    time.Duration
	fixed *sim.Action
	cycle int
	// lead marks the first action of a cycle: when it cannot be added,
	// the rest of its cycle is dropped too.
	lead bool
}

// powerCycles draws a burst of power cycles: every few milliseconds a
// random node loses power and restarts a moment later, as a rack with a
// flaky supply would. Whatever a node had not synced is gone, so a node
// that answers before its writes are durable (a vote, an acknowledgement)
// contradicts itself after the restart; the disks are made slow enough
// that some writes are always in flight. Each cycle is a pair of ordinary
// actions, so a failure shrinks to the cycles that matter.
func (g *generator) powerCycles(cfg *sim.Config) []slot {
	cfg.Disk.SyncMin = g.dur(time.Millisecond, 5*time.Millisecond).Truncate(time.Microsecond)
	cfg.Disk.SyncMax = cfg.Disk.SyncMin + g.dur(0, 10*time.Millisecond).Truncate(time.Microsecond)
	every := g.ms(10*time.Millisecond, 50*time.Millisecond)
	down := g.ms(time.Millisecond, 20*time.Millisecond)
	start := g.ms(0, cfg.Duration/2)
	end := min(start+g.ms(cfg.Duration/3, cfg.Duration), cfg.Duration-time.Millisecond)
	var out []slot
	for at, i := start, 0; at+down < end; at, i = at+every, i+1 {
		id := raft.NodeID(1 + g.rng.IntN(cfg.Nodes))
		back := at + g.ms(time.Millisecond, down)
		out = append(out,
			slot{at: at, cycle: i, lead: true, fixed: &sim.Action{At: at, Kind: sim.ActPowerLoss, Nodes: []raft.NodeID{id}}},
			slot{at: back, cycle: i, fixed: &sim.Action{At: back, Kind: sim.ActRestart, Nodes: []raft.NodeID{id}}})
	}
	return out
}

func (st *timelineState) clone() *timelineState {
	c := *st
	c.down, c.paused, c.by = slices.Clone(st.down), slices.Clone(st.paused), slices.Clone(st.by)
	c.clogged = make(map[[2]raft.NodeID]int, len(st.clogged))
	for k, v := range st.clogged {
		c.clogged[k] = v
	}
	c.touched = make(map[string]int, len(st.touched))
	for k, v := range st.touched {
		c.touched[k] = v
	}
	c.names = make(map[string]binding, len(st.names))
	for k, v := range st.names {
		c.names[k] = v
	}
	c.isolated = slices.Clone(st.isolated)
	c.labels = slices.Clone(st.labels)
	c.members.touched = make(map[raft.NodeID]bool, len(st.members.touched))
	for k, v := range st.members.touched {
		c.members.touched[k] = v
	}
	c.cut = make(map[[2]raft.NodeID]int, len(st.cut))
	for k, v := range st.cut {
		c.cut[k] = v
	}
	return &c
}

// pick returns the nodes for which want holds, in ID order.
func (st *timelineState) pick(want func(id raft.NodeID) bool) []raft.NodeID {
	var out []raft.NodeID
	for id := 1; id <= st.nodes; id++ {
		if want(raft.NodeID(id)) {
			out = append(out, raft.NodeID(id))
		}
	}
	return out
}

// some draws 1..most of ids, in ID order.
func (g *generator) some(ids []raft.NodeID, most int) []raft.NodeID {
	if len(ids) == 0 {
		return nil
	}
	k := 1 + g.rng.IntN(max(1, min(most, len(ids))))
	perm := g.rng.Perm(len(ids))[:k]
	out := make([]raft.NodeID, k)
	for i, p := range perm {
		out[i] = ids[p]
	}
	slices.Sort(out)
	return out
}

func (g *generator) pair(nodes int) (raft.NodeID, raft.NodeID) {
	from := raft.NodeID(1 + g.rng.IntN(nodes))
	to := raft.NodeID(1 + g.rng.IntN(nodes-1))
	if to >= from {
		to++
	}
	return from, to
}

// action draws one action of kind at, or nil when none makes sense now.
func (g *generator) action(at time.Duration, kind sim.ActionKind, cfg *sim.Config, st *timelineState) *sim.Action {
	a := &sim.Action{At: at, Kind: kind}
	minority := (cfg.Nodes - 1) / 2
	up := func(id raft.NodeID) bool { return !st.down[id] }
	targets := func(ids []raft.NodeID) bool {
		if g.chance(1, 3) {
			a.Leader = true
			return true
		}
		a.Nodes = g.some(ids, minority)
		return len(a.Nodes) > 0
	}
	switch kind {
	case sim.ActCrash, sim.ActPowerLoss, sim.ActIsolate:
		if !targets(st.pick(up)) {
			return nil
		}
	case sim.ActRestart:
		if g.chance(1, 2) {
			a.Nodes = g.some(st.pick(func(id raft.NodeID) bool { return st.down[id] }), cfg.Nodes)
		}
	case sim.ActPause:
		if !targets(st.pick(func(id raft.NodeID) bool { return up(id) && !st.paused[id] })) {
			return nil
		}
	case sim.ActResume:
		a.Nodes = g.some(st.pick(func(id raft.NodeID) bool { return st.paused[id] }), cfg.Nodes)
		if len(a.Nodes) == 0 {
			return nil
		}
	case sim.ActPartition:
		a.Groups = g.groups(cfg.Nodes, 2+g.rng.IntN(2))
		// A third of them move whoever leads by then into the first
		// group, which is as often a minority as a majority.
		a.Leader = g.chance(1, 3)
	case sim.ActBridge:
		if cfg.Nodes < 3 {
			return nil
		}
		perm := g.rng.Perm(cfg.Nodes)
		a.Nodes = []raft.NodeID{raft.NodeID(perm[0] + 1)}
		rest := perm[1:]
		cut := 1 + g.rng.IntN(len(rest)-1)
		a.Groups = [][]raft.NodeID{idsOf(rest[:cut]), idsOf(rest[cut:])}
	case sim.ActCutOneWay, sim.ActClog:
		a.From, a.To = g.pair(cfg.Nodes)
	case sim.ActUnclog:
		if len(st.clogged) == 0 {
			return nil
		}
		links := make([][2]raft.NodeID, 0, len(st.clogged))
		for l := range st.clogged {
			links = append(links, l)
		}
		slices.SortFunc(links, func(x, y [2]raft.NodeID) int {
			if x[0] != y[0] {
				return int(x[0]) - int(y[0])
			}
			return int(x[1]) - int(y[1])
		})
		l := links[g.rng.IntN(len(links))]
		a.From, a.To = l[0], l[1]
	case sim.ActHeal:
	case sim.ActLink:
		if g.chance(2, 3) {
			a.From, a.To = g.pair(cfg.Nodes)
		}
		a.Link = g.link(true)
	case sim.ActSlowDisk:
		if !targets(st.pick(up)) {
			return nil
		}
		a.SyncMin = g.ms(time.Millisecond, 20*time.Millisecond)
		a.SyncMax = a.SyncMin + g.ms(0, 50*time.Millisecond)
	case sim.ActClockDrift:
		if !targets(st.pick(up)) {
			return nil
		}
		a.Drift = clock.PPM(g.rng.IntN(400_001) - 200_000)
	case sim.ActCrashNewLeaders:
		// A burst aimed at the first round trips of new leaders. Figure 8
		// needs several such elections in a row - leaders that each leave
		// an entry behind, then one that replicates an older entry before
		// its own - and a short burst seldom holds enough of them: half
		// the bursts last until the fault phase ends.
		a.Until = min(at+g.ms(500*time.Millisecond, 2*time.Second), cfg.Duration)
		if g.chance(1, 2) {
			a.Until = cfg.Duration
		}
		if a.Until <= at {
			return nil
		}
		g.churnPace(a)
	case sim.ActClockJump:
		if !targets(st.pick(up)) {
			return nil
		}
		a.Jump = g.ms(time.Millisecond, 300*time.Millisecond)
		if g.chance(1, 2) {
			a.Jump = -a.Jump
		}
	}
	return a
}

// groups splits a random subset of the nodes (most of them) into k
// non-empty groups; nodes left out are isolated.
func (g *generator) groups(nodes, k int) [][]raft.NodeID {
	perm := g.rng.Perm(nodes)
	keep := nodes - g.rng.IntN(2)
	k = min(k, keep)
	perm = perm[:keep]
	cuts := g.rng.Perm(keep - 1)[:k-1]
	slices.Sort(cuts)
	var out [][]raft.NodeID
	start := 0
	for _, c := range cuts {
		out = append(out, idsOf(perm[start:c+1]))
		start = c + 1
	}
	return append(out, idsOf(perm[start:]))
}

// idsOf turns 0-based positions into sorted node IDs.
func idsOf(pos []int) []raft.NodeID {
	out := make([]raft.NodeID, len(pos))
	for i, p := range pos {
		out[i] = raft.NodeID(p + 1)
	}
	slices.Sort(out)
	return out
}
