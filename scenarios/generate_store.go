package scenarios

import (
	"math/rand/v2"

	"github.com/raftsim/raftsim/sim"
)

// generatorStoreStream is the PCG stream of the storage dimension of a
// generated scenario, apart from the generator's other streams: seeds
// that keep MemoryStorage are the scenarios they were.
const generatorStoreStream = 0x66696c65 // "file"

// fileStoreRatio is the share of generated seeds whose nodes run on
// raft/filestore over simulated disks: their crashes and power losses
// exercise its recovery (a power loss keeps an arbitrary subset of the
// unsynced writes), at some cost in speed.
var fileStoreRatio = [2]int{1, 4}

// store draws the seed's storage and reports whether it is the file
// store; always puts every seed on it.
func store(seed uint64, cfg *sim.Config, always bool) bool {
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorStoreStream))}
	if !g.chance(fileStoreRatio[0], fileStoreRatio[1]) && !always {
		return false
	}
	cfg.Disk.Store = sim.StoreFile
	return true
}

func describeStore(file bool) string {
	if file {
		return " Nodes on the file store."
	}
	return ""
}
