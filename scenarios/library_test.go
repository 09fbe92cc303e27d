package scenarios

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// librarySeeds are the seeds every built-in scenario must meet its
// expectation on.
var librarySeeds = []uint64{1, 2, 3}

func runSeed(t *testing.T, s *Scenario, seed uint64, trace *bytes.Buffer) *sim.Result {
	t.Helper()
	cfg := s.ConfigFor(seed)
	if trace != nil {
		cfg.Trace = trace
	}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return res
}

// proposes reports whether s's timeline hands out proposals.
func proposes(s *Scenario) bool {
	return slices.ContainsFunc(s.Config.Timeline, func(a sim.Action) bool { return a.Kind == sim.ActPropose })
}

// Every built-in scenario meets its expectation on several seeds. A
// failure prints the command that reproduces it.
func TestBuiltinsMeetTheirExpectations(t *testing.T) {
	for _, s := range Builtins() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			for _, seed := range librarySeeds {
				res := runSeed(t, s, seed, nil)
				if err := s.Expect.Check(res); err != nil {
					t.Errorf("seed %d: %v\n  reproduce: go run ./cmd/raftsim run --scenario %s --seed %d", seed, err, s.Name, seed)
					for _, f := range res.Failures {
						t.Logf("  %s", f)
					}
				}
				// (The election tests have no commands at all.)
				if s.Expect.Pass() && res.Stats.OpsOK == 0 && (s.Config.Workload.Clients > 0 || proposes(s)) {
					t.Errorf("seed %d: no operation completed", seed)
				}
			}
		})
	}
}

// The library has what the issue asks for, states an expectation in each
// file, and uses every fault the simulator supports.
func TestLibraryContents(t *testing.T) {
	want := []string{
		"happy-path", "leader-crash", "leader-isolated", "minority-partition", "leader-minority",
		"one-way-partition", "bridge", "flaky-network", "figure-8", "crash-restart-churn", "crash-restart-power-loss",
		"slow-follower", "leader-paused", "lease-clock-drift", "lease-leader-isolated", "readindex-clock-drift", "seven-node-churn", "demo",
	}
	all := Builtins()
	var names []string
	used := map[sim.ActionKind]bool{}
	for _, s := range all {
		names = append(names, s.Name)
		src, ok := BuiltinSource(s.Name)
		if !ok || !bytes.Contains(src, []byte("\nexpect = ")) {
			t.Errorf("%s: the file does not state its expectation", s.Name)
		}
		if s.Description == "" {
			t.Errorf("%s: no description", s.Name)
		}
		for _, a := range s.Config.Timeline {
			used[a.Kind] = true
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Builtins not sorted: %v", names)
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("missing built-in scenario %q", w)
		}
	}
	for _, k := range sim.ActionKinds() {
		if !used[k] {
			t.Errorf("no built-in scenario uses %s", k)
		}
	}
	if s, _ := Builtin("seven-node-churn"); s.Config.Nodes != 7 {
		t.Errorf("seven-node-churn has %d nodes", s.Config.Nodes)
	}
	lease, _ := Builtin("lease-clock-drift")
	twin, _ := Builtin("readindex-clock-drift")
	if lease.Config.Raft.ReadMode != raft.ReadLease || twin.Config.Raft.ReadMode != raft.ReadIndex || lease.Expect.Pass() || !twin.Expect.Pass() {
		t.Errorf("the clock-drift pair: lease %v expects %v, twin %v expects %v", lease.Config.Raft.ReadMode, lease.Expect, twin.Config.Raft.ReadMode, twin.Expect)
	}
	// The twins differ in the read mode (and what they expect) only.
	a, b := lease.ConfigFor(1), twin.ConfigFor(1)
	a.Raft.ReadMode, a.Raft.LeaseDriftTicks = b.Raft.ReadMode, b.Raft.LeaseDriftTicks
	if !bytes.Equal(Encode(&Scenario{Config: a}), Encode(&Scenario{Config: b})) {
		t.Error("lease-clock-drift and readindex-clock-drift differ in more than the read mode")
	}
}

// Builtin hands out copies: changing one does not change the library.
func TestBuiltinReturnsCopies(t *testing.T) {
	s, ok := Builtin("figure-8")
	if !ok {
		t.Fatal("no figure-8")
	}
	s.Config.Timeline[0].Leader = false
	s.Config.Nodes = 3
	again, _ := Builtin("figure-8")
	if !again.Config.Timeline[0].Leader || again.Config.Nodes != 5 {
		t.Fatal("changing a returned scenario changed the library")
	}
	if _, ok := Builtin("no-such-scenario"); ok {
		t.Fatal("Builtin found a scenario that does not exist")
	}
}

// leader-minority is meant to put the first leader, node 1, on the
// minority side; the majority must elect another leader while it is cut
// off.
func TestLeaderMinorityPutsTheLeaderOnTheMinoritySide(t *testing.T) {
	s, _ := Builtin("leader-minority")
	for _, seed := range librarySeeds {
		res := runSeed(t, s, seed, nil)
		if len(res.Tenures) < 2 || res.Tenures[0].Node != 1 {
			t.Fatalf("seed %d: tenures %+v, want node 1 first", seed, res.Tenures)
		}
		next := res.Tenures[1]
		if next.Node < 3 || next.Elected.Duration() < time.Second || next.Elected.Duration() > 2200*time.Millisecond {
			t.Fatalf("seed %d: second leader %+v, want a majority node elected during the partition", seed, next)
		}
	}
}

// slow-follower: by the end, node 5 has applied all but what one window of
// batches (max_entries_per_msg * max_inflight_msgs) can hold in flight.
func TestSlowFollowerCatchesUp(t *testing.T) {
	s, _ := Builtin("slow-follower")
	var trace bytes.Buffer
	res := runSeed(t, s, 1, &trace)
	if !res.Passed() {
		t.Fatalf("failures: %s", FailureList(res.Failures))
	}
	applied := map[int]uint64{}
	var atHeal uint64
	sc := bufio.NewScanner(&trace)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, `"ev":"phase"`) && strings.Contains(line, `"text":"heal"`) {
			atHeal = applied[5]
		}
		if !strings.Contains(line, `"ev":"apply"`) {
			continue
		}
		var seq, tm, node, term, index uint64
		fmt.Sscanf(line, `{"seq":%d,"t":%d,"ev":"apply","node":%d,"term":%d,"index":%d`, &seq, &tm, &node, &term, &index)
		applied[int(node)] = index
	}
	top := slices.Max([]uint64{applied[1], applied[2], applied[3], applied[4]})
	window := uint64(s.Config.Raft.MaxEntriesPerMsg * s.Config.Raft.MaxInflightMsgs)
	if applied[5]+window < top || atHeal >= top/2 {
		t.Fatalf("node 5 applied %d (%d before healing), the others up to %d", applied[5], atHeal, top)
	}
}

// The lease scenario catches its stale read on more seeds than the tests
// above run.
func TestLeaseClockDriftCatchesStaleReads(t *testing.T) {
	s, _ := Builtin("lease-clock-drift")
	for seed := uint64(1); seed <= 12; seed++ {
		res := runSeed(t, s, seed, nil)
		if err := s.Expect.Check(res); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	}
}

// A raft liveness bug that fuzzing found, kept as a regression test: see
// the file's comment.
func TestRegressionInflightStall(t *testing.T) {
	s, err := Load("testdata/inflight-stall.toml")
	if err != nil {
		t.Fatal(err)
	}
	res := runSeed(t, s, s.Seed, nil)
	if err := s.Expect.Check(res); err != nil {
		t.Fatal(err)
	}
}

// Two liveness failures fuzz found with PreVote off (see the files): the
// election timer restarted on refused votes.
func TestRegressionPreVoteOffTimer(t *testing.T) {
	for _, f := range []string{"testdata/prevote-off-timer-13630.toml", "testdata/prevote-off-timer-16468.toml"} {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		res := runSeed(t, s, s.Seed, nil)
		if err := s.Expect.Check(res); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A vote overtaken by the voter's own later term before its Ready was
// persisted still counts for election-quorum (see the file).
func TestRegressionElectionQuorumOvertakenVote(t *testing.T) {
	s, err := Load("testdata/election-quorum-overtaken-vote-2273.toml")
	if err != nil {
		t.Fatal(err)
	}
	res := runSeed(t, s, s.Seed, nil)
	if err := s.Expect.Check(res); err != nil {
		t.Error(err)
	}
}

// A node whose store found corruption its disk suffered votes for no one
// while it is down, nor once it comes back fenced: commit safety must not
// count it (see the file).
func TestRegressionRefusedStoreCastsNoVote(t *testing.T) {
	s, err := Load("testdata/refused-store-no-vote-277.toml")
	if err != nil {
		t.Fatal(err)
	}
	res := runSeed(t, s, s.Seed, nil)
	if err := s.Expect.Check(res); err != nil {
		t.Error(err)
	}
	if res.Disk.ErrorCrashes == 0 || res.Disk.Repairs == 0 {
		t.Errorf("disk %+v: the corrupted node did not stop, or did not repair: the file no longer reproduces the case", res.Disk)
	}
}

// A node whose store cannot open (its damage needs a repair the full disk
// has no room for) votes for no one: commit safety must not count it as
// a voter with an empty log (see the file).
func TestRegressionUnopenableStoreCastsNoVote(t *testing.T) {
	s, err := Load("testdata/full-disk-no-vote-6652.toml")
	if err != nil {
		t.Fatal(err)
	}
	res := runSeed(t, s, s.Seed, nil)
	if err := s.Expect.Check(res); err != nil {
		t.Error(err)
	}
	if res.Disk.ErrorCrashes == 0 || len(res.Disk.CorruptNodes) == 0 {
		t.Errorf("disk %+v: no crash on a full disk or no latent fault: the file no longer reproduces the case", res.Disk)
	}
}
