package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/raftsim/raftsim/sim"
)

// generatorSnapshotStream is the PCG stream of the compaction dimension
// of a generated scenario. It is apart from the generator's main stream,
// so that adding the dimension changed no scenario that does not compact.
const generatorSnapshotStream = 0x736e6170 // "snap"

// snapshots draws the compaction dimension of a generated scenario (swarm
// testing again): one seed in three compacts, some aggressively, every
// few entries with nothing kept behind and snapshots sent in chunks of a
// few dozen bytes, so that transfers race everything else; some on links
// with a bandwidth, where chunks take time; and some with the snapshot
// nemeses, which crash or cut off the nodes that write, send or receive
// snapshots. It returns the names of the nemeses it added.
func snapshots(seed uint64, cfg *sim.Config) []string {
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorSnapshotStream))}
	if !g.chance(1, 3) {
		return nil
	}
	r := &cfg.Raft
	r.SnapshotEvery = []int{2, 5, 10, 50, 200}[g.rng.IntN(5)]
	r.SnapshotKeep = []int{0, 0, 1, 5, 20}[g.rng.IntN(5)]
	r.SnapshotChunkBytes = []uint64{32, 64, 256, 1 << 10, 16 << 10}[g.rng.IntN(5)]
	if g.chance(1, 4) {
		cfg.Network.Bandwidth = []uint64{256 << 10, 1 << 20, 4 << 20}[g.rng.IntN(3)]
		// A link action keeps the [network] keys it does not set.
		for i := range cfg.Timeline {
			if cfg.Timeline[i].Kind == sim.ActLink {
				cfg.Timeline[i].Link.Bandwidth = cfg.Network.Bandwidth
			}
		}
	}
	var added []sim.Action
	if g.chance(1, 3) {
		a := sim.Action{At: g.ms(0, cfg.Duration/3), Kind: sim.ActCrashOnSnapshot, Until: cfg.Duration,
			PowerLoss: g.chance(1, 2), Sender: g.chance(1, 4)}
		a.After = g.dur(0, 5*time.Millisecond).Truncate(100 * time.Microsecond)
		a.RestartAfter = g.ms(20*time.Millisecond, 300*time.Millisecond)
		if a.PowerLoss {
			// Slow disks keep snapshot writes unsynced long enough for the
			// power to go first.
			cfg.Disk.SyncMin = max(cfg.Disk.SyncMin, g.dur(time.Millisecond, 5*time.Millisecond).Truncate(time.Microsecond))
			cfg.Disk.SyncMax = max(cfg.Disk.SyncMax, cfg.Disk.SyncMin+g.dur(0, 10*time.Millisecond).Truncate(time.Microsecond))
		}
		added = append(added, a)
	}
	if g.chance(1, 4) {
		a := sim.Action{At: g.ms(0, cfg.Duration/3), Kind: sim.ActIsolateOnSnapshot, Until: cfg.Duration, Sender: g.chance(1, 3)}
		a.After = g.ms(0, 20*time.Millisecond)
		a.RestartAfter = g.ms(50*time.Millisecond, 500*time.Millisecond)
		added = append(added, a)
	}
	var names []string
	for _, a := range added {
		if tl, ok := insertChecked(cfg, a); ok {
			cfg.Timeline = tl
			names = append(names, a.Kind.String())
		}
	}
	return names
}

// insertChecked returns the timeline with a in its place by time, if the
// whole timeline still passes the static checks.
func insertChecked(cfg *sim.Config, a sim.Action) ([]sim.Action, bool) {
	tl := slices.Clone(cfg.Timeline)
	i, _ := slices.BinarySearchFunc(tl, a.At, func(x sim.Action, at time.Duration) int {
		if c := cmp.Compare(x.At, at); c != 0 {
			return c
		}
		return -1 // after every action at the same time
	})
	tl = slices.Insert(tl, i, a)
	st := newTimelineState(cfg.Nodes)
	if cfg.Voters != 0 {
		st.members.voters = cfg.Voters
	}
	for j := range tl {
		if _, msg := st.step(j, &tl[j]); msg != "" {
			return nil, false
		}
	}
	return tl, true
}

// describeSnapshots adds the compaction dimension to a generated
// scenario's description.
func describeSnapshots(cfg *sim.Config, nemeses []string) string {
	r := cfg.Raft
	if r.SnapshotEvery == 0 {
		return ""
	}
	s := fmt.Sprintf(" Compaction every %d entries, keeping %d, in %s chunks", r.SnapshotEvery, r.SnapshotKeep, formatBytes(r.SnapshotChunkBytes))
	if cfg.Network.Bandwidth != 0 {
		s += fmt.Sprintf(", links of %s/s", formatBytes(cfg.Network.Bandwidth))
	}
	for _, n := range nemeses {
		s += ", " + n
	}
	return s + "."
}
