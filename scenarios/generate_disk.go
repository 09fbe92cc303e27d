package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// generatorDiskFaultStream is the PCG stream of the disk-fault dimension
// of a generated scenario on the file store: seeds without disk faults
// are the scenarios they were.
const generatorDiskFaultStream = 0x6661756c // "faul"

// diskFaultRatio is the share of file-store seeds whose disks misbehave.
var diskFaultRatio = [2]int{1, 2}

// diskFaults draws the disk-fault dimension of a seed on the file store
// (swarm testing once more): storage errors that stop nodes (fsync and
// write errors drawn at a rate, a full disk for a while) on any node, and
// latent faults (bit flips and zeroed sectors in synced data, misdirected
// writes, stale reads) on the corruption budget's nodes only, the first
// minority of the voters by ID. It returns what it added, for the
// description. always draws the dimension on every seed: the gate's draw
// is still made, so that the draws after it are those of the default.
func diskFaults(seed uint64, cfg *sim.Config, always bool) []string {
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorDiskFaultStream))}
	if !g.chance(diskFaultRatio[0], diskFaultRatio[1]) && !always {
		return nil
	}
	var added []string
	r := &cfg.Disk.Rates
	if g.chance(1, 2) {
		den := []uint32{500, 2000, 10000}[g.rng.IntN(3)]
		r.SyncError = disk.Ratio{Num: 1, Den: den}
		r.WriteError = disk.Ratio{Num: 1, Den: den}
		added = append(added, fmt.Sprintf("fsync and write errors 1/%d", den))
	}
	if g.chance(1, 3) {
		at := g.ms(0, cfg.Duration*2/3)
		a := sim.Action{At: at, Kind: sim.ActDiskFault, DiskFault: disk.FaultNoSpace, Random: 1,
			Until: min(cfg.Duration, at+g.ms(50*time.Millisecond, time.Second))}
		if tl, ok := insertChecked(cfg, a); ok {
			cfg.Timeline = tl
			added = append(added, "a full disk")
		}
	}
	budget := (voters(cfg) - 1) / 2
	if changesMembership(cfg) {
		// A repaired node stays a voter that votes for no one until a
		// leader has sent its log back; a change that removes a healthy
		// voter meanwhile can leave too few to elect that leader. The
		// budget holds for the initial configuration only.
		budget = 0
	}
	if budget > 0 && g.chance(1, 2) {
		if g.chance(1, 2) {
			den := []uint32{2000, 20000}[g.rng.IntN(2)]
			r.Misdirect = disk.Ratio{Num: 1, Den: den}
			r.StaleRead = disk.Ratio{Num: 1, Den: den}
			added = append(added, fmt.Sprintf("misdirected writes and stale reads 1/%d", den))
		}
		for range g.rng.IntN(4) {
			k := []disk.FaultKind{disk.FaultBitFlip, disk.FaultZeroSector}[g.rng.IntN(2)]
			a := sim.Action{At: g.ms(0, cfg.Duration-time.Millisecond), Kind: sim.ActDiskFault, DiskFault: k,
				Nodes: []raft.NodeID{raft.NodeID(1 + g.rng.IntN(budget))}}
			if tl, ok := insertChecked(cfg, a); ok {
				cfg.Timeline = tl
				added = append(added, k.String())
			}
		}
	}
	return added
}

// changesMembership reports whether the timeline changes the
// configuration, or the cluster has spares to bring in.
func changesMembership(cfg *sim.Config) bool {
	if cfg.Voters != 0 && cfg.Voters < cfg.Nodes {
		return true
	}
	for i := range cfg.Timeline {
		if cfg.Timeline[i].Kind.IsMembership() {
			return true
		}
	}
	return false
}

// voters is the size of the initial configuration.
func voters(cfg *sim.Config) int {
	if cfg.Voters != 0 {
		return cfg.Voters
	}
	return cfg.Nodes
}

func describeDiskFaults(added []string) string {
	if len(added) == 0 {
		return ""
	}
	return " Disk faults: " + strings.Join(added, ", ") + "."
}
