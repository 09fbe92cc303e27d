package sim

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// storeRun is a short run with crashes, restarts and compaction, and
// power losses when asked.
func storeRun(seed uint64, store StoreKind, powerLoss bool) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Nodes = 3
	cfg.Duration, cfg.HealDuration = 3*time.Second, 4*time.Second
	cfg.Disk.Store = store
	cfg.Raft.SnapshotEvery, cfg.Raft.SnapshotKeep = 40, 10
	crash := ActCrash
	if powerLoss {
		crash = ActPowerLoss
	}
	for k := range 10 {
		at := time.Duration(300+250*k) * time.Millisecond
		id := raft.NodeID(1 + k%3)
		cfg.Timeline = append(cfg.Timeline,
			Action{At: at, Kind: crash, Nodes: []raft.NodeID{id}},
			Action{At: at + 30*time.Millisecond, Kind: ActRestart, Nodes: []raft.NodeID{id}})
	}
	return cfg
}

func mustPass(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() {
		t.Fatalf("seed %d, store %v: %v", cfg.Seed, cfg.Disk.Store, res.Failures)
	}
	return res
}

// Without power losses the file store must present exactly what
// MemoryStorage does, at every restart, compaction and snapshot: any
// difference in what a node reads back moves the trace. So the two runs
// are the same run.
func TestFileStoreRunsLikeMemory(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		var trace bytes.Buffer
		cfg := storeRun(seed, StoreMemory, false)
		cfg.Trace = &trace
		mem := mustPass(t, cfg)
		file := mustPass(t, storeRun(seed, StoreFile, false))
		if file.TraceDigest != mem.TraceDigest {
			t.Errorf("seed %d: file store digest %s, memory %s", seed, file.TraceDigest, mem.TraceDigest)
		}
		if !strings.Contains(trace.String(), `"text":"compact"`) {
			t.Errorf("seed %d: no snapshot taken; the run does not exercise compaction", seed)
		}
	}
}

// A run on the file store is a pure function of its seed, power losses
// (which draw from each disk's stream) included.
func TestFileStoreRunIsDeterministic(t *testing.T) {
	cfg := storeRun(7, StoreFile, true)
	a, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.TraceDigest != b.TraceDigest {
		t.Fatalf("digests differ: %s, %s", a.TraceDigest, b.TraceDigest)
	}
	mem, err := Run(storeRun(7, StoreMemory, true))
	if err != nil {
		t.Fatal(err)
	}
	if mem.TraceDigest == a.TraceDigest {
		t.Fatal("power losses on the file store ran as on memory: the simulated disk kept no unsynced write")
	}
}

// Power losses on the file store keep arbitrary subsets of the unsynced
// writes; every restart must still recover, and the runs pass.
func TestFileStoreSurvivesPowerLoss(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		mustPass(t, storeRun(seed, StoreFile, true))
	}
}

// The down view (what a restart would find) agrees with the store the
// restart then opens.
func TestFileStoreHeldMatchesRestart(t *testing.T) {
	s, err := newFileStorage(disk.SimConfig{}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	for i := raft.Index(1); i <= 30; i++ {
		if err := st.Append([]raft.Entry{{Index: i, Term: raft.Term(1 + i/10), Data: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if err := st.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.crash()
	if s.lastHeld() != 30 || s.firstHeld() != 1 {
		t.Fatalf("after a crash the store holds [%d, %d], want [1, 30]", s.firstHeld(), s.lastHeld())
	}
	if tm, ok := s.term(25); !ok || tm != 3 {
		t.Fatalf("term(25) = %d, %v; want 3", tm, ok)
	}
	if _, err := s.open(); err != nil {
		t.Fatal(err)
	}
	if s.lastHeld() != 30 {
		t.Fatalf("restarted store holds up to %d, want 30", s.lastHeld())
	}
}
