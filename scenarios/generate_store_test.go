package scenarios

import (
	"testing"

	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// About one seed in four runs on the file store, drawn from a stream of
// its own: the seed's other choices do not depend on it.
func TestGeneratedStore(t *testing.T) {
	file := 0
	for seed := uint64(1); seed <= 400; seed++ {
		s := Generate(seed, GenerateOptions{})
		if s.Config.Disk.Store == sim.StoreFile {
			file++
			var cfg sim.Config
			if !store(seed, &cfg, false) || cfg.Disk.Store != sim.StoreFile {
				t.Fatalf("seed %d: store draw not reproducible", seed)
			}
		}
	}
	if file < 60 || file > 140 {
		t.Fatalf("%d of 400 generated seeds on the file store, want about 100", file)
	}
}

// About half the file-store seeds get disk faults, drawn from a stream of
// their own; latent faults aim only at the corruption budget's nodes, and
// every generated scenario validates.
func TestGeneratedDiskFaults(t *testing.T) {
	file, faulty, latent := 0, 0, 0
	for seed := uint64(1); seed <= 800; seed++ {
		s := Generate(seed, GenerateOptions{})
		if s.Config.Disk.Store != sim.StoreFile {
			if s.Config.Disk.Rates != (disk.Rates{}) {
				t.Fatalf("seed %d: disk fault rates on MemoryStorage", seed)
			}
			continue
		}
		file++
		if err := s.Config.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		budget := (voters(&s.Config) - 1) / 2
		has := s.Config.Disk.Rates != (disk.Rates{})
		for _, a := range s.Config.Timeline {
			if a.Kind != sim.ActDiskFault {
				continue
			}
			has = true
			if a.DiskFault.Latent() {
				latent++
				if len(a.Nodes) != 1 || int(a.Nodes[0]) > budget {
					t.Fatalf("seed %d: latent fault on %v, budget %d", seed, a.Nodes, budget)
				}
			}
		}
		if has {
			faulty++
		}
	}
	if faulty < file/3 || faulty > file*2/3 || latent == 0 {
		t.Fatalf("%d of %d file-store seeds with disk faults (want about half), %d latent fault actions", faulty, file, latent)
	}
}
