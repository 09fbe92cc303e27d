package filestore

import (
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// newSimDisk returns a simulated disk for a store in /n.
func newSimDisk(t testing.TB, seed uint64) *disk.Sim {
	t.Helper()
	d, err := disk.NewSim(disk.SimConfig{}, rand.New(rand.NewPCG(seed, 5)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The store runs on the simulated disk as on the real one: through
// rollovers, process crashes (the page cache keeps every write) and power
// losses after a Sync (which keep everything), it reopens with exactly
// what it held.
func TestStoreOnSimulatedDisk(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := newSimDisk(t, 1)
	opts := Options{FS: d, SegmentSizeBytes: 4 << 10}
	s := mustOpen(t, "/n", opts)
	var m model
	for round := range 60 {
		first := m.lastIndex() + 1
		if first > 3 && rng.IntN(4) == 0 {
			first -= raft.Index(1 + rng.IntN(3)) // overwrite a suffix
		}
		m.log = m.log[:first-1]
		ents := makeEntries(rng, first, 1+rng.IntN(20), raft.Term(round+1), 200)
		must(t, s.Append(ents))
		m.log = append(m.log, ents...)
		hs := raft.HardState{Term: raft.Term(round + 1), Vote: raft.NodeID(1 + rng.IntN(3)), Commit: first - 1}
		must(t, s.SetHardState(hs))
		m.hs = hs
		switch rng.IntN(3) {
		case 0:
			d.Crash()
		case 1:
			must(t, s.Sync())
			d.PowerLoss()
		default:
			continue
		}
		s = mustOpen(t, "/n", opts)
		checkState(t, s, m)
	}
	if n := len(d.Files()); n < 3 {
		t.Fatalf("%d files after the run: the test never rolled a segment over", n)
	}
}
