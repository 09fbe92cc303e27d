package scenarios

import (
	"testing"

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
			if !store(seed, &cfg) || cfg.Disk.Store != sim.StoreFile {
				t.Fatalf("seed %d: store draw not reproducible", seed)
			}
		}
	}
	if file < 60 || file > 140 {
		t.Fatalf("%d of 400 generated seeds on the file store, want about 100", file)
	}
}
