package sim

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

func quick(seed uint64) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Duration = 3 * time.Second
	cfg.HealDuration = 3 * time.Second
	cfg.Liveness = LivenessConfig{LeaderWithin: 2 * time.Second, ProgressWithin: 2500 * time.Millisecond}
	return cfg
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, err)
	}
	return res
}

func requirePass(t *testing.T, res *Result) {
	t.Helper()
	for _, f := range res.Failures {
		t.Errorf("seed %d: %s", res.Seed, f)
		for _, e := range f.TraceTail {
			t.Logf("  %s", e.AppendJSON(nil))
		}
	}
}

func TestHappyPathPasses(t *testing.T) {
	res := mustRun(t, quick(1))
	requirePass(t, res)
	if res.Stats.OpsOK < 100 {
		t.Fatalf("only %d operations completed in 6 virtual seconds", res.Stats.OpsOK)
	}
	if res.Linearizability.Verdict != checker.VerdictOK {
		t.Fatalf("linearizability verdict %v", res.Linearizability)
	}
	if res.Stats.LeaderChanges != 1 {
		t.Fatalf("%d leader changes on a healthy network, want 1", res.Stats.LeaderChanges)
	}
}

// The proof of determinism: the same seed gives the same trace digest,
// whatever GOMAXPROCS; another seed gives another.
func TestSameSeedSameDigest(t *testing.T) {
	cfg := quick(7)
	cfg.Timeline = []Action{
		{At: time.Second, Kind: ActCrash, Leader: true},
		{At: 1500 * time.Millisecond, Kind: ActRestart},
	}
	cfg.Network = flaky()
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	a := mustRun(t, cfg)
	runtime.GOMAXPROCS(4)
	b := mustRun(t, cfg)
	if a.TraceDigest != b.TraceDigest || a.TraceEvents != b.TraceEvents {
		t.Fatalf("same seed: digests %s (%d events) and %s (%d events)", a.TraceDigest, a.TraceEvents, b.TraceDigest, b.TraceEvents)
	}
	cfg.Seed = 8
	c := mustRun(t, cfg)
	if c.TraceDigest == a.TraceDigest {
		t.Fatalf("seeds 7 and 8 gave the same digest %s", a.TraceDigest)
	}
}

func flaky() netsim.LinkConfig {
	cfg := netsim.Reliable(netsim.LongTail(time.Millisecond, 5*time.Millisecond, netsim.Ratio{Num: 1, Den: 10}, 50*time.Millisecond))
	cfg.Loss = netsim.Ratio{Num: 5, Den: 100}
	cfg.Duplicate = netsim.Ratio{Num: 5, Den: 100}
	return cfg
}

// The trace written to a file hashes to the same digest as an unwritten
// one, and parses as JSON lines.
func TestTraceFileMatchesDigest(t *testing.T) {
	cfg := quick(3)
	var sb strings.Builder
	cfg.Trace = &sb
	a := mustRun(t, cfg)
	cfg.Trace = nil
	b := mustRun(t, cfg)
	if a.TraceDigest != b.TraceDigest {
		t.Fatal("writing the trace changed the run")
	}
	lines := strings.Count(sb.String(), "\n")
	if uint64(lines) != a.TraceEvents {
		t.Fatalf("trace has %d lines, result says %d events", lines, a.TraceEvents)
	}
	if !strings.HasPrefix(sb.String(), `{"seq":1,"t":0,"ev":"phase"`) {
		t.Fatalf("trace starts %q", sb.String()[:60])
	}
}

func TestLeaderCrashElectsNewLeader(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := quick(seed)
		cfg.Timeline = []Action{{At: time.Second, Kind: ActCrash, Leader: true}}
		res := mustRun(t, cfg)
		requirePass(t, res)
		if res.Stats.LeaderChanges < 2 {
			t.Fatalf("seed %d: %d leader changes after the leader crashed", seed, res.Stats.LeaderChanges)
		}
	}
}

func TestFlakyNetworkPasses(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := quick(seed)
		cfg.Network = flaky()
		res := mustRun(t, cfg)
		requirePass(t, res)
		var dups, drops uint64
		for _, row := range res.Network {
			dups += row.Duplicated
			drops += row.Dropped()
		}
		if dups == 0 || drops == 0 {
			t.Fatalf("seed %d: flaky network duplicated %d and dropped %d messages", seed, dups, drops)
		}
	}
}

// A partition stops messages between its sides: the minority cannot elect
// a leader, and the majority keeps serving.
func TestPartitionIsolatesMinority(t *testing.T) {
	cfg := quick(11)
	cfg.Timeline = []Action{{At: 500 * time.Millisecond, Kind: ActPartition, Groups: [][]raft.NodeID{{1, 2}, {3, 4, 5}}}}
	var sb strings.Builder
	cfg.Trace = &sb
	res := mustRun(t, cfg)
	requirePass(t, res)
	for _, rc := range res.Roles {
		during := rc.Time > clock.Time(500*time.Millisecond) && rc.Time < clock.Time(cfg.Duration)
		if rc.Role == raft.RoleLeader && (rc.Node == 1 || rc.Node == 2) && during {
			t.Fatalf("minority node %d became leader at %v during the partition", rc.Node, rc.Time)
		}
	}
	// No message crossed the cut while it stood.
	for _, line := range strings.Split(sb.String(), "\n") {
		if !strings.Contains(line, `"ev":"deliver"`) {
			continue
		}
		var seq, tm int64
		var node, peer int
		fmt.Sscanf(line, `{"seq":%d,"t":%d,"ev":"deliver","node":%d,"peer":%d`, &seq, &tm, &node, &peer)
		if tm <= int64(600*time.Millisecond) || tm >= int64(cfg.Duration) {
			continue
		}
		if (node <= 2) != (peer <= 2) {
			t.Fatalf("message crossed the partition: %s", line)
		}
	}
}
