package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// checkRun runs cfg with checks and returns the check failures by name.
func checkRun(t *testing.T, cfg Config, checks ...Check) (*Result, map[string]Failure) {
	t.Helper()
	cfg.Checks = checks
	res := mustRun(t, cfg)
	out := map[string]Failure{}
	for _, f := range res.Failures {
		if f.Kind == FailureCheck {
			out[f.Name] = f
		} else {
			t.Errorf("seed %d: %s", cfg.Seed, f)
		}
	}
	return res, out
}

func at(d time.Duration) Anchor { return Anchor{Offset: d} }

const ms = time.Millisecond

// Each check holds where Raft guarantees it, and fails, by its own name,
// where the run breaks it.
func TestChecksHoldAndFail(t *testing.T) {
	isolate3 := []Action{{At: time.Second, Kind: ActIsolate, Nodes: []raft.NodeID{1, 2, 3}, As: "cut"}, {At: 2 * time.Second, Kind: ActReconnect, Names: []string{"cut"}}}
	tests := []struct {
		name     string
		timeline []Action
		check    Check
		fails    string // a fragment of the failure's message, or "" to hold
		// noCheckQuorum keeps an isolated leader leading.
		noCheckQuorum bool
	}{
		{"no_commit holds without a majority", isolate3,
			Check{Kind: CheckNoCommit, From: at(1100 * ms), Until: at(1900 * ms)}, "", false},
		{"no_commit fails on a healthy cluster", nil,
			Check{Kind: CheckNoCommit, From: at(time.Second), Until: at(2 * time.Second)}, "committed up to index", false},
		{"no_commit on the isolated side holds", []Action{{At: time.Second, Kind: ActIsolate, Leader: true, As: "old"}},
			Check{Kind: CheckNoCommit, From: Anchor{Name: "old", Offset: 20 * ms}, Until: at(2 * time.Second), Names: []string{"old"}}, "", false},
		// By 1.5s a leader left with a minority has stepped down
		// (CheckQuorum); the isolated ones do not count.
		{"no_leader among connected nodes holds without a majority", isolate3,
			Check{Kind: CheckNoLeader, From: at(1500 * ms), Until: at(1900 * ms), Connected: true}, "", false},
		{"no_leader fails on a healthy cluster", nil,
			Check{Kind: CheckNoLeader, From: at(time.Second), Until: at(2 * time.Second)}, "leads (term", false},
		{"one_leader holds on a healthy cluster", nil,
			Check{Kind: CheckOneLeader, From: at(time.Second), Until: at(2 * time.Second)}, "", false},
		{"one_leader fails when none leads at the end", isolate3,
			Check{Kind: CheckOneLeader, From: at(1500 * ms), Until: at(1900 * ms), Connected: true}, "no node leads when the window closes", false},
		{"one_leader fails with a deposed leader still leading", []Action{{At: time.Second, Kind: ActIsolate, Leader: true}},
			Check{Kind: CheckOneLeader, From: at(time.Second), Until: at(2 * time.Second)}, "lead at once", true},
		{"leader_within holds after a crash", []Action{{At: time.Second, Kind: ActCrash, Leader: true, As: "crashed"}},
			Check{Kind: CheckLeaderWithin, From: Anchor{Name: "crashed"}, Within: time.Second}, "", false},
		{"leader_within fails without a majority", []Action{{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{1, 2, 3}}},
			Check{Kind: CheckLeaderWithin, From: at(1100 * ms), Within: 800 * ms}, "no leader that reaches a majority within 800ms", false},
		{"term_stable holds on a healthy cluster", nil,
			Check{Kind: CheckTermStable, From: at(500 * ms), Until: at(2500 * ms)}, "", false},
		{"term_stable fails when the leader crashes", []Action{{At: time.Second, Kind: ActCrash, Leader: true}},
			Check{Kind: CheckTermStable, From: at(500 * ms), Until: at(2500 * ms)}, "moved from term", false},
		{"applied_on all holds once a node is back", []Action{{At: time.Second, Kind: ActIsolate, Nodes: []raft.NodeID{4}, As: "late"}, {At: 1500 * ms, Kind: ActReconnect, Names: []string{"late"}}},
			Check{Kind: CheckAppliedOn, On: OnAll, From: Anchor{Name: "late"}, Until: at(2500 * ms)}, "", false},
		{"applied_on all fails while a node is cut off", []Action{{At: time.Second, Kind: ActIsolate, Nodes: []raft.NodeID{4}}},
			Check{Kind: CheckAppliedOn, On: OnAll, From: at(1500 * ms), Until: at(2500 * ms)}, "is not applied on every node up", false},
		{"progress_within holds after a leader crash", []Action{{At: time.Second, Kind: ActCrash, Leader: true}},
			Check{Kind: CheckProgressWithin, From: at(time.Second), Within: time.Second}, "", false},
		{"progress_within fails without a majority", []Action{{At: time.Second, Kind: ActCrash, Nodes: []raft.NodeID{1, 2, 3}}},
			Check{Kind: CheckProgressWithin, From: at(1100 * ms), Within: time.Second}, "no operation invoked after 1.1s completed within 1s", false},
		{"max_messages fails past its bound", nil,
			Check{Kind: CheckMaxMessages, Max: 10, Messages: MessagesRequests, From: at(time.Second), Until: at(1100 * ms)}, "11 requests messages in the window, more than 10", false},
		{"a window that closes before it opens fails", []Action{{At: 2 * time.Second, Kind: ActCrash, Follower: true, As: "too_late"}},
			Check{Kind: CheckNoCommit, From: Anchor{Name: "too_late"}, Until: at(time.Second)}, "closed (until 1s) before it opened (from too_late)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 2; seed++ {
				cfg := small(seed)
				cfg.Timeline = tc.timeline
				cfg.Raft.DisableCheckQuorum = tc.noCheckQuorum
				res, fails := checkRun(t, cfg, tc.check)
				name := tc.check.FailureName()
				f, failed := fails[name]
				switch {
				case tc.fails == "" && failed:
					t.Fatalf("seed %d: %s failed: %s", seed, name, f.Message)
				case tc.fails != "" && !failed:
					t.Fatalf("seed %d: %s held, want a failure with %q", seed, name, tc.fails)
				case tc.fails != "" && !strings.Contains(f.Message, tc.fails):
					t.Fatalf("seed %d: %s failed with %q, want %q", seed, name, f.Message, tc.fails)
				}
				neverOpens := tc.check.From.Name == "too_late"
				if w := res.Windows[0]; w.Reached == neverOpens || w.Failed != failed || w.Name != name {
					t.Fatalf("seed %d: window %+v", seed, w)
				}
			}
		})
	}
}

// A window's counts are what happened between its moments; a named check
// fails under its own name.
func TestWindowCounts(t *testing.T) {
	cfg := small(3)
	cfg.Timeline = []Action{
		{At: time.Second, Kind: ActCrash, Leader: true, As: "old"},
		{At: 1500 * ms, Kind: ActPropose, Leader: true, Count: 7},
	}
	res, fails := checkRun(t, cfg,
		Check{Name: "after-crash", Kind: CheckNoCommit, From: Anchor{Name: "old"}, Until: at(2 * time.Second)},
		Check{Kind: CheckTermStable, From: at(200 * ms), Until: at(900 * ms)})
	if _, ok := fails["after-crash"]; !ok || len(fails) != 1 {
		t.Fatalf("failures %v, want after-crash alone", fails)
	}
	w := res.Windows[0]
	if w.Opened.Duration() != time.Second || w.Closed.Duration() != 2*time.Second {
		t.Fatalf("window %v..%v", w.Opened, w.Closed)
	}
	if w.Leaders != 1 || w.Commits < 8 || w.OpsOK < 7 || w.Messages == 0 {
		t.Fatalf("counts %+v: one new leader, its no-op and 7 proposals committed", w)
	}
	var ok uint64
	for _, op := range res.History {
		if op.Outcome == 1 && op.Complete >= int64(time.Second) && op.Complete < int64(2*time.Second) {
			ok++
		}
	}
	if w.OpsOK != ok {
		t.Fatalf("window counts %d ok operations, the history %d", w.OpsOK, ok)
	}
	if q := res.Windows[1]; q.Leaders != 0 || q.Failed {
		t.Fatalf("quiet window %+v", q)
	}
}

// The trace records each node's commit index as it rises, never above
// what is applied later, and every apply follows a commit at least as far.
func TestTraceRecordsCommits(t *testing.T) {
	_, lines := traced(t, small(1))
	commit := map[uint64]uint64{}
	commits := 0
	for _, l := range lines {
		switch l.Ev {
		case "commit":
			if l.Index <= commit[l.Node] {
				t.Fatalf("node %d commit went from %d to %d", l.Node, commit[l.Node], l.Index)
			}
			commit[l.Node] = l.Index
			commits++
		case "apply":
			if l.Index > commit[l.Node] {
				t.Fatalf("node %d applied %d with commit %d", l.Node, l.Index, commit[l.Node])
			}
		case "restart":
			delete(commit, l.Node)
		}
	}
	if commits < 100 || len(commit) != 5 {
		t.Fatalf("%d commit events on %d nodes", commits, len(commit))
	}
}

func TestCheckValidation(t *testing.T) {
	tl := []Action{{At: time.Second, Kind: ActCrash, Leader: true, As: "x"}, {At: 2 * time.Second, Kind: ActRestart, As: "x"}}
	cases := []struct {
		c   Check
		msg string
	}{
		{Check{Kind: CheckNoCommit, From: Anchor{Name: "nope"}}, `from: "nope" is bound by no timeline entry's as`},
		{Check{Kind: CheckNoCommit, From: Anchor{Name: "x"}}, `from: "x" is bound by 2 timeline entries`},
		{Check{Kind: CheckLeaderWithin}, "leader_within: 0s must be positive"},
		{Check{Kind: CheckLeaderWithin, Within: time.Second, Until: at(time.Second)}, "a timed check's window ends after its within"},
		{Check{Kind: CheckNoCommit, From: at(2 * time.Second), Until: at(time.Second)}, "until: 1s is not after from (2s)"},
		{Check{Kind: CheckNoCommit, From: at(3 * time.Second)}, "until: 3s is not after from (3s)"},
		{Check{Kind: CheckNoCommit, Until: at(time.Hour)}, "after the end of the run"},
		{Check{Kind: CheckNoCommit, Name: "Bad_Name"}, "is not a failure name"},
		{Check{Kind: CheckTermStable, Connected: true}, "only no_leader and one_leader take connected"},
		{Check{Kind: CheckAppliedOn, On: 9}, "applied_on: 9 is not majority"},
		{Check{Kind: CheckNoCommit, Nodes: []raft.NodeID{7}}, "node 7 is not in the cluster"},
	}
	for _, c := range cases {
		cfg := small(1)
		cfg.Timeline = tl
		cfg.Checks = []Check{c.c}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: Validate = %v, want %q", c.c, err, c.msg)
		}
	}
	cfg := small(1)
	cfg.Checks = []Check{{Kind: CheckNoCommit}, {Kind: CheckNoCommit}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"no-commit" is also the name of checks[0]`) {
		t.Errorf("two unnamed checks of a kind: %v", err)
	}
}
