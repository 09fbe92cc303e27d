package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// small is a cheap run: 5 nodes, 2 clients, 3s of faults, 2s of healing.
func small(seed uint64) Config {
	cfg := quick(seed)
	cfg.Workload.Clients = 2
	cfg.HealDuration = 2 * time.Second
	cfg.Liveness = LivenessConfig{LeaderWithin: time.Second, ProgressWithin: 1500 * time.Millisecond}
	return cfg
}

// actionTimes returns the time of each action trace line whose text
// starts with prefix.
func actionTimes(lines []line, prefix string) []time.Duration {
	var out []time.Duration
	for _, l := range lines {
		if l.Ev == "action" && strings.HasPrefix(l.Text, prefix) {
			out = append(out, time.Duration(l.T))
		}
	}
	return out
}

func failureNamed(res *Result, kind FailureKind, name string) *Failure {
	for i := range res.Failures {
		if res.Failures[i].Kind == kind && res.Failures[i].Name == name {
			return &res.Failures[i]
		}
	}
	return nil
}

// A wait holds the timeline until its state is reached; the entries after
// it run relative to that moment.
func TestWaitLeaderHoldsTheTimeline(t *testing.T) {
	cfg := small(4)
	cfg.Timeline = []Action{
		{At: 0, Kind: ActWait, Wait: WaitLeader, Within: 2 * time.Second},
		{Follows: true, DelayMin: 100 * time.Millisecond, DelayMax: 100 * time.Millisecond, Kind: ActIsolate, Leader: true, As: "old", Require: true},
		{Follows: true, Kind: ActWait, Wait: WaitLeader, Within: 2 * time.Second},
		{Follows: true, DelayMin: 50 * time.Millisecond, DelayMax: 50 * time.Millisecond, Kind: ActHeal},
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	reached := actionTimes(lines, "wait leader: reached")
	if len(reached) != 2 {
		t.Fatalf("waits reached at %v, want two", reached)
	}
	if first := res.Stats.FirstLeader.Duration(); reached[0] != first {
		t.Errorf("the first wait ended at %v, the first leader was elected at %v", reached[0], first)
	}
	isolated := actionTimes(lines, "isolate")
	if len(isolated) != 1 || isolated[0] != reached[0]+100*time.Millisecond {
		t.Fatalf("isolate at %v, want 100ms after %v", isolated, reached[0])
	}
	// The isolated leader still believes it leads for a while: only a
	// leader that reaches a majority ends the wait.
	old := leaderBefore(res, cfg.Nodes, isolated[0]+time.Nanosecond)
	newLeader := leaderBefore(res, cfg.Nodes, reached[1]+time.Nanosecond)
	if newLeader == old || newLeader == raft.None {
		t.Errorf("the second wait ended at %v with leader %d; the isolated one was %d", reached[1], newLeader, old)
	}
	if heal := actionTimes(lines, "heal"); len(heal) != 1 || heal[0] != reached[1]+50*time.Millisecond {
		t.Errorf("heal at %v, want 50ms after %v", heal, reached[1])
	}
}

// A wait that runs out of time fails the run, by its own name, and the
// timeline goes on from the timeout.
func TestWaitTimeoutFails(t *testing.T) {
	cfg := small(1)
	cfg.Timeline = []Action{
		{At: time.Second, Kind: ActIsolate, Nodes: []raft.NodeID{1, 2, 3}},
		{At: 1100 * time.Millisecond, Kind: ActWait, Wait: WaitLeader, Within: 500 * time.Millisecond},
		{Follows: true, Kind: ActHeal},
	}
	res, lines := traced(t, cfg)
	f := failureNamed(res, FailureScenario, "wait-leader")
	if f == nil || f.Time.Duration() != 1600*time.Millisecond || len(res.Failures) != 1 {
		t.Fatalf("failures %v, want wait-leader at 1.6s alone", res.Failures)
	}
	if heal := actionTimes(lines, "heal"); len(heal) != 1 || heal[0] != 1600*time.Millisecond {
		t.Errorf("heal at %v, want at the timeout", heal)
	}
}

// A commit wait ends when every accepted proposal of the latest burst is
// committed on the nodes it asks for; a burst that cannot commit fails it.
func TestWaitCommit(t *testing.T) {
	t.Run("committed on every node up", func(t *testing.T) {
		cfg := small(2)
		cfg.Timeline = []Action{
			{At: time.Second, Kind: ActCrash, Follower: true},
			{At: 1100 * time.Millisecond, Kind: ActPropose, Leader: true, Count: 20, Require: true},
			{At: 1100 * time.Millisecond, Kind: ActWait, Wait: WaitCommit, On: OnAll, Within: time.Second},
		}
		res, lines := traced(t, cfg)
		requirePass(t, res)
		if res.Stats.Proposals != 20 {
			t.Fatalf("%d proposals", res.Stats.Proposals)
		}
		done := actionTimes(lines, "wait commit: reached")
		if len(done) != 1 || done[0] <= 1100*time.Millisecond {
			t.Fatalf("commit wait reached at %v", done)
		}
		// Every proposal is its own operation: ok, with its own client.
		var props []checker.Operation
		for _, op := range res.History {
			if op.Key == ProposalKey {
				props = append(props, op)
			}
		}
		if len(props) != 20 || props[0].ClientID == props[1].ClientID {
			t.Fatalf("history holds %d proposals", len(props))
		}
		for _, op := range props {
			if op.Outcome != checker.OutcomeOK || op.Complete > int64(done[0]) {
				t.Fatalf("proposal %v not committed by the wait's end %v", op, done[0])
			}
		}
	})
	t.Run("an isolated leader's burst never commits", func(t *testing.T) {
		cfg := small(2)
		cfg.Timeline = []Action{
			{At: time.Second, Kind: ActIsolate, Leader: true, As: "old"},
			{At: time.Second, Kind: ActPropose, Names: []string{"old"}, Count: 50},
			{At: time.Second, Kind: ActWait, Wait: WaitCommit, Within: 800 * time.Millisecond},
		}
		res := mustRun(t, cfg)
		if f := failureNamed(res, FailureScenario, "wait-commit"); f == nil || len(res.Failures) != 1 {
			t.Fatalf("failures %v, want wait-commit alone", res.Failures)
		}
		unknown := 0
		for _, op := range res.History {
			if op.Key == ProposalKey && op.Outcome == checker.OutcomeUnknown {
				unknown++
			}
		}
		if unknown != 50 {
			t.Errorf("%d of 50 proposals unknown: the deposed leader's entries may or may not commit", unknown)
		}
	})
	t.Run("a follower refuses proposals", func(t *testing.T) {
		cfg := small(2)
		cfg.Timeline = []Action{{At: time.Second, Kind: ActPropose, Follower: true, Count: 3}}
		res := mustRun(t, cfg)
		requirePass(t, res)
		failed := 0
		for _, op := range res.History {
			if op.Key == ProposalKey && op.Outcome == checker.OutcomeFail && op.Complete == int64(time.Second) {
				failed++
			}
		}
		if failed != 3 || res.Stats.Proposals != 3 {
			t.Errorf("%d of 3 proposals to a follower failed at once", failed)
		}
	})
}

// A drawn delay comes from the seed: the same seed, the same times;
// others, others, all within the range.
func TestDrawnDelay(t *testing.T) {
	times := map[time.Duration]bool{}
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := small(seed)
		cfg.Workload.Clients = 0
		cfg.Timeline = []Action{
			{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{3}},
			{Follows: true, At: time.Second + 10*time.Millisecond, DelayMin: 10 * time.Millisecond, DelayMax: 50 * time.Millisecond, Kind: ActRestart},
		}
		for range 2 {
			res, lines := traced(t, cfg)
			requirePass(t, res)
			at := actionTimes(lines, "restart")
			if len(at) != 1 || at[0] < 1010*time.Millisecond || at[0] > 1050*time.Millisecond {
				t.Fatalf("seed %d: restart at %v", seed, at)
			}
			times[at[0]] = true
		}
	}
	if len(times) < 3 {
		t.Errorf("5 seeds drew %d distinct delays", len(times))
	}
}

// A timeline that cannot finish in the fault phase fails the run.
func TestTimelineOverrun(t *testing.T) {
	cases := []struct {
		name     string
		timeline []Action
		msg      string
	}{
		{"a relative entry past the end", []Action{
			{At: 2 * time.Second, Kind: ActCrash, Nodes: []raft.NodeID{1}},
			// A delay drawn from [900ms, 5s] lands past 3s on these seeds.
			{Follows: true, At: 2*time.Second + 900*time.Millisecond, DelayMin: 900 * time.Millisecond, DelayMax: 5 * time.Second, Kind: ActRestart},
			{Follows: true, At: 2*time.Second + 900*time.Millisecond, Kind: ActCrash, Nodes: []raft.NodeID{2}},
		}, "not before the end of the fault phase"},
		{"a wait still waiting", []Action{
			{At: 2 * time.Second, Kind: ActIsolate, Nodes: []raft.NodeID{1, 2, 3}},
			{At: 2500 * time.Millisecond, Kind: ActWait, Wait: WaitLeader, Within: 2 * time.Second},
		}, "timeline[1] (wait), for a leader, was still waiting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				cfg := small(seed)
				cfg.Timeline = c.timeline
				res := mustRun(t, cfg)
				f := failureNamed(res, FailureScenario, "timeline-overrun")
				if f == nil || !strings.Contains(f.Message, c.msg) || f.Time.Duration() != cfg.Duration {
					t.Fatalf("seed %d: failures %v", seed, res.Failures)
				}
			}
		})
	}
}

func TestScriptValidation(t *testing.T) {
	cases := []struct {
		timeline []Action
		msg      string
	}{
		{[]Action{{At: 0, Kind: ActWait, Wait: WaitLeader, Within: time.Second}, {At: time.Second, Kind: ActHeal}}, "a fixed time after a relative entry"},
		{[]Action{{At: 0, Kind: ActWait, Wait: WaitCommit, Within: time.Second}}, "a commit wait needs a propose entry before it"},
		{[]Action{{At: 0, Kind: ActWait, Wait: WaitLeader}}, "within: 0s must be positive"},
		{[]Action{{At: 0, Kind: ActWait, Wait: WaitLeader, Within: time.Second, Leader: true}}, "a wait takes no targets"},
		{[]Action{{At: 0, Kind: ActPropose, Leader: true}}, "propose: 0 is outside"},
		{[]Action{{At: 0, Kind: ActPropose, Count: 1}}, "names no node"},
		{[]Action{{At: 0, Kind: ActHeal, Follows: true, DelayMin: 2, DelayMax: 1}}, "after: [2ns, 1ns] is not a valid range"},
	}
	for _, c := range cases {
		cfg := small(1)
		cfg.Timeline = c.timeline
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: Validate = %v, want %q", c.timeline, err, c.msg)
		}
	}
	ok := small(1)
	ok.Timeline = []Action{{At: 0, Kind: ActPropose, Leader: true, Count: 1}, {At: 0, Kind: ActWait, Wait: WaitCommit, On: OnAll, Within: time.Second}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A chance is drawn when the entry comes up; a skipped relative entry
// takes no time, so the timeline's clock counts only the entries that run.
func TestChanceSkipsEntries(t *testing.T) {
	cfg := small(6)
	cfg.Workload.Clients = 0
	cfg.Timeline = []Action{{At: 100 * ms, Kind: ActSlowDisk, Nodes: []raft.NodeID{1}, SyncMin: ms, SyncMax: ms}}
	for range 40 {
		cfg.Timeline = append(cfg.Timeline, Action{Follows: true, DelayMin: 10 * ms, DelayMax: 10 * ms, Kind: ActSlowDisk,
			Nodes: []raft.NodeID{1}, SyncMin: ms, SyncMax: ms, Chance: netsim.Ratio{Num: 1, Den: 2}})
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	ran := actionTimes(lines, "slow_disk")
	skipped := actionTimes(lines, "skip timeline[")
	if len(ran)+len(skipped) != 41 || len(skipped) < 10 || len(skipped) > 30 {
		t.Fatalf("%d ran, %d skipped of 41", len(ran), len(skipped))
	}
	for k, at := range ran {
		if want := 100*ms + time.Duration(k)*10*ms; at != want {
			t.Fatalf("the %d-th entry that ran ran at %v, want %v: skipped entries took time", k, at, want)
		}
	}
}

// when runs an entry only if the cluster's state meets the condition.
func TestWhenGuardsEntries(t *testing.T) {
	cfg := small(2)
	up := Condition{Quantity: QuantityUp, Op: OpLess, Value: 4}
	cfg.Timeline = []Action{
		{At: 500 * ms, Kind: ActCrash, Nodes: []raft.NodeID{1}},
		{At: 600 * ms, Kind: ActRestart, Random: 1, When: up}, // 4 up: skipped
		{At: 700 * ms, Kind: ActCrash, Nodes: []raft.NodeID{2}},
		{At: 800 * ms, Kind: ActRestart, Random: 1, When: up}, // 3 up: runs
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	acts := actionLines(lines)
	if len(acts) != 4 || acts[1] != "skip timeline[1] (restart) (when up < 4: up is 4)" || !strings.HasPrefix(acts[3], "restart [") {
		t.Fatalf("actions %q", acts)
	}
	if c, err := ParseCondition("leaders >= 1"); err != nil || c != (Condition{Quantity: QuantityLeaders, Op: OpGreaterEq, Value: 1}) {
		t.Fatalf("ParseCondition = %v, %v", c, err)
	}
	for _, bad := range []string{"up<3", "nodes < 3", "up ~ 3", "up < -1", "up < x"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("ParseCondition(%q) accepted", bad)
		}
	}
}

// A sleep holds the timeline for its drawn time.
func TestSleep(t *testing.T) {
	cfg := small(1)
	cfg.Timeline = []Action{
		{At: 500 * ms, Kind: ActSleep, SleepMin: 150 * ms, SleepMax: 150 * ms},
		{Follows: true, At: 500 * ms, Kind: ActCrash, Leader: true},
	}
	_, lines := traced(t, cfg)
	if at := actionTimes(lines, "crash"); len(at) != 1 || at[0] != 650*ms {
		t.Fatalf("crash at %v, want 650ms", at)
	}
}

// A retrying proposal is proposed again to the next leader when its
// leader cannot commit it, as a client would: each commits once.
func TestProposalRetry(t *testing.T) {
	for _, retry := range []bool{false, true} {
		cfg := small(3)
		cfg.Timeline = []Action{
			{At: time.Second, Kind: ActIsolate, Leader: true, As: "old"},
			{At: time.Second, Kind: ActPropose, Names: []string{"old"}, Count: 5, Retry: retry},
			{At: time.Second, Kind: ActWait, Wait: WaitCommit, Within: 900 * ms},
			{Follows: true, Kind: ActReconnect, Names: []string{"old"}},
		}
		res := mustRun(t, cfg)
		ok := 0
		for _, op := range res.History {
			if op.Key == ProposalKey && op.Outcome == checker.OutcomeOK {
				ok++
			}
		}
		failed := failureNamed(res, FailureScenario, "wait-commit") != nil
		if retry && (failed || ok != 5 || len(res.Failures) != 0) || !retry && (!failed || ok != 0) {
			t.Fatalf("retry %v: %d of 5 proposals ok, failures %v", retry, ok, res.Failures)
		}
	}
}

// A commit wait of every proposal so far waits for the earlier bursts
// still in play, and leaves out those that ended without committing.
func TestWaitCommitOfAll(t *testing.T) {
	cfg := small(4)
	cfg.Timeline = []Action{
		// Ends unknown when the isolated leader steps down: out of play.
		{At: time.Second, Kind: ActIsolate, Leader: true, As: "old"},
		{At: time.Second, Kind: ActPropose, Names: []string{"old"}, Count: 3},
		// Retried until committed.
		{At: time.Second, Kind: ActPropose, Names: []string{"old"}, Count: 4, Retry: true},
		{At: 1100 * ms, Kind: ActWait, Wait: WaitLeader, Within: time.Second},
		{Follows: true, Kind: ActPropose, Leader: true, Count: 1, Retry: true},
		{Follows: true, Kind: ActWait, Wait: WaitCommit, AllProposals: true, Within: time.Second},
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	done := actionTimes(lines, "wait commit: reached")
	if len(done) != 1 {
		t.Fatalf("the wait did not end: %v", res.Failures)
	}
	ok := 0
	for _, op := range res.History {
		if op.Key == ProposalKey && op.Outcome == checker.OutcomeOK && op.Complete <= int64(done[0]) {
			ok++
		}
	}
	if ok != 5 {
		t.Fatalf("%d proposals ok by the wait's end at %v, want the 4 retried and the last", ok, done[0])
	}
}
