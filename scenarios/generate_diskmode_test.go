package scenarios

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// hasDiskFaults reports whether a configuration injects any disk fault.
func hasDiskFaults(cfg *sim.Config) bool {
	if cfg.Disk.Rates != (disk.Rates{}) {
		return true
	}
	for _, a := range cfg.Timeline {
		if a.Kind == sim.ActDiskFault {
			return true
		}
	}
	return false
}

// DiskFaultsAlways puts every seed on the file store and draws its disk
// faults with the default's code: a seed whose default generation drew
// the disk-fault dimension generates the same configuration in both
// modes, and the zero option is the default.
func TestGenerateDiskFaultsAlways(t *testing.T) {
	const seeds = 400
	same, faulty, defaultFaulty := 0, 0, 0
	for seed := uint64(1); seed <= seeds; seed++ {
		def := Generate(seed, GenerateOptions{})
		if !bytes.Equal(Encode(def), Encode(Generate(seed, GenerateOptions{DiskFaults: DiskFaultsGenerated}))) {
			t.Fatalf("seed %d: the zero option is not the default generation", seed)
		}
		s := Generate(seed, GenerateOptions{DiskFaults: DiskFaultsAlways})
		if err := s.Config.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if s.Config.Disk.Store != sim.StoreFile || s.Name != generatedName(seed, DiskFaultsAlways) || !strings.Contains(s.Description, "--disk-faults always") {
			t.Fatalf("seed %d: store %v, name %q, description %q", seed, s.Config.Disk.Store, s.Name, s.Description)
		}
		if hasDiskFaults(&s.Config) {
			faulty++
		}
		if hasDiskFaults(&def.Config) {
			defaultFaulty++
		}
		gate := &generator{rng: rand.New(rand.NewPCG(seed, generatorDiskFaultStream))}
		if def.Config.Disk.Store != sim.StoreFile || !gate.chance(diskFaultRatio[0], diskFaultRatio[1]) {
			continue
		}
		same++
		forced := *s
		forced.Name, forced.Description = def.Name, def.Description
		if !bytes.Equal(Encode(&forced), Encode(def)) {
			t.Fatalf("seed %d drew disk faults by default, but generates another configuration when forced:\n%s\n---\n%s", seed, Encode(def), Encode(&forced))
		}
	}
	// The dimension's own draws can still add nothing (no error rates, no
	// full disk, no latent fault): most seeds, not all, get some fault.
	if same == 0 || faulty < seeds/2 || faulty <= 3*defaultFaulty {
		t.Fatalf("%d of %d forced seeds with disk faults (default %d), %d compared with the default", faulty, seeds, defaultFaulty, same)
	}
}

func TestParseDiskFaultMode(t *testing.T) {
	for _, m := range DiskFaultModes() {
		if got, err := ParseDiskFaultMode(m.String()); err != nil || got != m {
			t.Fatalf("%v: %v, %v", m, got, err)
		}
	}
	if _, err := ParseDiskFaultMode("sometimes"); err == nil || !strings.Contains(err.Error(), `"sometimes" is not one of generated, always`) {
		t.Fatalf("err %v", err)
	}
	if DiskFaultMode(0).String() != "DiskFaultMode(0)" {
		t.Fatal(DiskFaultMode(0).String())
	}
}
