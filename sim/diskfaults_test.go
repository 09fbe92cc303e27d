package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// diskFaultRun is a short file-store run with a steady load, and the
// given actions in its fault phase.
func diskFaultRun(seed uint64, actions ...Action) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Nodes = 3
	cfg.Duration, cfg.HealDuration = 3*time.Second, 4*time.Second
	cfg.Disk.Store = StoreFile
	cfg.Timeline = actions
	return cfg
}

func faultCount(res *Result, k disk.FaultKind) uint64 {
	for _, c := range res.Disk.Faults {
		if c.Kind == k {
			return c.Count
		}
	}
	return 0
}

// A storage error stops the node (never the simulator, never a retry in
// place), the trace says why, the supervisor starts it again, and the
// run passes.
func TestStorageErrorCrashesTheNode(t *testing.T) {
	for _, k := range []disk.FaultKind{disk.FaultSyncError, disk.FaultWriteError} {
		for seed := uint64(1); seed <= 3; seed++ {
			var trace bytes.Buffer
			cfg := diskFaultRun(seed,
				Action{At: time.Second, Kind: ActDiskFault, DiskFault: k, Leader: true},
				Action{At: 1500 * time.Millisecond, Kind: ActDiskFault, DiskFault: k, Follower: true})
			cfg.Trace = &trace
			res := mustPass(t, cfg)
			if faultCount(res, k) != 2 {
				t.Fatalf("%s seed %d: %d faults counted, want 2 (%v)", k, seed, faultCount(res, k), res.Disk)
			}
			if res.Disk.ErrorCrashes != 2 {
				t.Fatalf("%s seed %d: %d crashes on a disk error, want 2", k, seed, res.Disk.ErrorCrashes)
			}
			tr := trace.String()
			if !strings.Contains(tr, `"ev":"crash"`) || !strings.Contains(tr, "disk_error") {
				t.Fatalf("%s seed %d: the trace records no crash on a disk error", k, seed)
			}
			// Both nodes came back before the healing phase (at 3s).
			restarts := strings.Count(tr, `"ev":"restart"`)
			if restarts < 3+2 {
				t.Fatalf("%s seed %d: %d restarts traced, want the 3 starts and 2 supervisor restarts", k, seed, restarts)
			}
		}
	}
}

// After a failed fsync the page cache still shows the writes, which will
// never be durable. The restart must not read them (DropCache): a node
// that did would acknowledge entries a power loss then takes back.
func TestSyncErrorThenPowerLossLosesNothingAcknowledged(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		mustPass(t, diskFaultRun(seed,
			Action{At: time.Second, Kind: ActDiskFault, DiskFault: disk.FaultSyncError, Nodes: []raft.NodeID{2}},
			Action{At: 1900 * time.Millisecond, Kind: ActPowerLoss, Nodes: []raft.NodeID{2}},
			Action{At: 2000 * time.Millisecond, Kind: ActRestart, Nodes: []raft.NodeID{2}}))
	}
}

// A full disk stops the node at its next write, over and over, until the
// space comes back; then it catches up.
func TestFullDiskStopsTheLeader(t *testing.T) {
	res := mustPass(t, diskFaultRun(2,
		Action{At: time.Second, Kind: ActDiskFault, DiskFault: disk.FaultNoSpace, Leader: true, Until: 2 * time.Second}))
	if faultCount(res, disk.FaultNoSpace) == 0 || res.Disk.ErrorCrashes == 0 {
		t.Fatalf("a full disk under the leader: %+v", res.Disk)
	}
}

// Latent corruption of a follower's synced log, then its restart: the
// store finds damage in data it had vouched for, keeps the log before it,
// and comes up fenced (protocol-aware recovery) instead of refusing to
// start or cutting the damage off silently; the node repairs its log from
// the leader, lifts its fence, and the cluster carries on.
func TestCorruptFollowerRepairs(t *testing.T) {
	repaired := 0
	for seed := uint64(1); seed <= 6; seed++ {
		for _, k := range []disk.FaultKind{disk.FaultBitFlip, disk.FaultZeroSector} {
			var trace bytes.Buffer
			cfg := diskFaultRun(seed,
				Action{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{3}},
				Action{At: 1100 * time.Millisecond, Kind: ActDiskFault, DiskFault: k, Nodes: []raft.NodeID{3}},
				Action{At: 1200 * time.Millisecond, Kind: ActRestart, Nodes: []raft.NodeID{3}})
			cfg.Trace = &trace
			sim, err := newSimulator(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := sim.run()
			if len(res.Failures) > 0 {
				t.Fatalf("%s seed %d: %v", k, seed, res.Failures[0])
			}
			if faultCount(res, k) != 1 {
				t.Fatalf("%s seed %d: %+v", k, seed, res.Disk)
			}
			// Repaired from the leader, the node votes again.
			if n := sim.nodes[2]; n.rn == nil || n.rn.Status().Fence != 0 {
				t.Errorf("%s seed %d: node 3 ends the run down or fenced", k, seed)
			}
			if res.Disk.Refusals > 0 {
				t.Errorf("%s seed %d: %d refused restarts, want a repair", k, seed, res.Disk.Refusals)
			}
			if res.Disk.Repairs > 0 {
				repaired++
				if !strings.Contains(trace.String(), `"repair: damage in /raft/`) {
					t.Fatalf("%s seed %d: a repair the trace does not show", k, seed)
				}
			}
		}
	}
	// A fault may land where it changes nothing (a zeroed sector of
	// zeros, the state file's spare slot); most must need a repair.
	if repaired < 8 {
		t.Fatalf("%d of 12 corrupted stores repaired, want most", repaired)
	}
	t.Logf("%d of 12 corrupted stores repaired", repaired)
}

// Latent faults hit at most a minority of the voters.
func TestCorruptionBudget(t *testing.T) {
	var trace bytes.Buffer
	cfg := diskFaultRun(1, Action{At: time.Second, Kind: ActDiskFault, DiskFault: disk.FaultBitFlip, Nodes: []raft.NodeID{1, 2, 3}})
	cfg.Trace = &trace
	res := mustPass(t, cfg)
	if got := res.Disk.CorruptNodes; len(got) != 1 || got[0] != 1 {
		t.Fatalf("corrupted nodes %v, want [1]", got)
	}
	if res.Disk.OverBudget != 2 || faultCount(res, disk.FaultBitFlip) != 1 {
		t.Fatalf("%+v: want 1 bit flip and 2 skipped", res.Disk)
	}
	if !strings.Contains(trace.String(), "corruption budget") {
		t.Fatal("the skipped faults are not traced")
	}
}

func TestDiskFaultNeedsTheFileStore(t *testing.T) {
	cfg := diskFaultRun(1, Action{At: time.Second, Kind: ActDiskFault, DiskFault: disk.FaultBitFlip, Nodes: []raft.NodeID{1}})
	cfg.Disk.Store = StoreMemory
	if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), `store = "file"`) {
		t.Fatalf("disk fault on MemoryStorage: %v", err)
	}
	cfg = diskFaultRun(1, Action{At: time.Second, Kind: ActDiskFault, DiskFault: disk.FaultTornWrite, Nodes: []raft.NodeID{1}})
	if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), "torn_write") {
		t.Fatalf("torn_write as an action: %v", err)
	}
}
