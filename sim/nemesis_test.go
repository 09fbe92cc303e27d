package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// delivered counts deliveries from one node to another in [from, to).
func delivered(lines []line, src, dst raft.NodeID, from, to time.Duration) int {
	return count(lines, func(l line) bool {
		return l.Ev == "deliver" && l.Peer == uint64(src) && l.Node == uint64(dst) && between(l, from, to)
	})
}

// Reconnect undoes isolation node by node: the reconnected node reaches
// the others again, a node still isolated stays cut off, and two nodes
// reconnected together reach each other.
func TestReconnectNodeByNode(t *testing.T) {
	cfg := small(5)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cfg.Timeline = []Action{
		{At: ms(500), Kind: ActIsolate, Nodes: []raft.NodeID{1, 2, 3}},
		{At: ms(1000), Kind: ActReconnect, Nodes: []raft.NodeID{1}},
		{At: ms(1500), Kind: ActReconnect, Nodes: []raft.NodeID{2, 3}},
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	settle := 20 * time.Millisecond
	// 500ms-1s: 1, 2 and 3 each alone.
	if n := delivered(lines, 1, 4, ms(500)+settle, ms(1000)) + delivered(lines, 2, 3, ms(500)+settle, ms(1000)); n != 0 {
		t.Errorf("%d deliveries to or between isolated nodes", n)
	}
	// 1s-1.5s: 1 is back with 4 and 5; 2 and 3 are still alone.
	in := delivered(lines, 4, 1, ms(1000), ms(1500)) + delivered(lines, 5, 1, ms(1000), ms(1500))
	out := delivered(lines, 1, 4, ms(1000), ms(1500)) + delivered(lines, 1, 5, ms(1000), ms(1500))
	if in == 0 || out == 0 {
		t.Error("node 1 was not reconnected to 4 and 5")
	}
	if n := delivered(lines, 1, 2, ms(1000)+settle, ms(1500)) + delivered(lines, 3, 1, ms(1000)+settle, ms(1500)); n != 0 {
		t.Errorf("%d deliveries between reconnected node 1 and the still isolated 2 and 3", n)
	}
	// After 1.5s: 2 and 3 reach everyone, and nothing between them is cut.
	// (With a leader elected by 1, 4 and 5, the two may have nothing to
	// say to each other: they follow it as soon as its heartbeats arrive.)
	for _, n := range []raft.NodeID{2, 3} {
		both := 0
		for _, o := range []raft.NodeID{1, 4, 5} {
			both += min(delivered(lines, n, o, ms(1500), ms(2500)), delivered(lines, o, n, ms(1500), ms(2500)))
		}
		if both == 0 {
			t.Errorf("node %d exchanged nothing with nodes 1, 4 and 5 after it was reconnected", n)
		}
	}
	cut := count(lines, func(l line) bool {
		return l.Ev == "drop" && l.Text == "partition" && (l.Node == 2 || l.Node == 3) && l.T >= int64(ms(1500)+settle)
	})
	if cut != 0 {
		t.Errorf("%d messages of nodes 2 and 3 dropped by a cut after they were reconnected", cut)
	}
	if acts := actionLines(lines); !slices.Equal(acts, []string{"isolate [1,2,3]", "reconnect [1]", "reconnect [2,3]"}) {
		t.Errorf("actions %q", acts)
	}
}

// Reconnecting a node that is not isolated, and isolating one that is,
// are missing targets; connect of a link that is not cut too.
func TestUncutWhatIsNotCutIsMissing(t *testing.T) {
	cfg := small(5)
	cfg.Timeline = []Action{
		{At: 500 * time.Millisecond, Kind: ActIsolate, Nodes: []raft.NodeID{1}},
		{At: 600 * time.Millisecond, Kind: ActIsolate, Nodes: []raft.NodeID{1, 2}},
		{At: 700 * time.Millisecond, Kind: ActReconnect, Nodes: []raft.NodeID{3}},
		{At: 800 * time.Millisecond, Kind: ActConnect, From: 4, To: 5},
		{At: 900 * time.Millisecond, Kind: ActCutOneWay, From: 4, To: 5},
		{At: 950 * time.Millisecond, Kind: ActCutOneWay, From: 4, To: 5},
	}
	res, lines := traced(t, cfg)
	want := []string{"isolate [1]", "isolate [2] (missing: node 1 is isolated already)", "reconnect (missing: node 3 is not isolated)",
		"connect 4->5 (missing: link 4 -> 5 is not cut)", "cut_one_way 4->5", "cut_one_way 4->5 (missing: link 4 -> 5 is cut already)"}
	if acts := actionLines(lines); !slices.Equal(acts, want) {
		t.Fatalf("actions %q\nwant %q", acts, want)
	}
	if res.Stats.MissingTargets != 4 {
		t.Fatalf("%d missing targets", res.Stats.MissingTargets)
	}
}

// connect opens one direction of a one-way cut, and only that one.
func TestConnectUndoesOneCut(t *testing.T) {
	cfg := small(5)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cfg.Timeline = []Action{
		{At: ms(500), Kind: ActCutOneWay, From: 1, To: 2},
		{At: ms(500), Kind: ActCutOneWay, From: 1, To: 3},
		{At: ms(1000), Kind: ActConnect, From: 1, To: 2},
	}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	settle := 20 * time.Millisecond
	if n := delivered(lines, 1, 2, ms(500)+settle, ms(1000)); n != 0 {
		t.Errorf("%d messages crossed 1->2 while cut", n)
	}
	if delivered(lines, 1, 2, ms(1000)+settle, ms(2000)) == 0 {
		t.Error("nothing crossed 1->2 after connect")
	}
	if n := delivered(lines, 1, 3, ms(1000)+settle, ms(2000)); n != 0 {
		t.Errorf("%d messages crossed 1->3, which stays cut", n)
	}
}

// isolate_new_leaders isolates each new leader (and, with IncludeLeader,
// the one in office) within After, and reconnects it after a delay drawn
// from the range.
func TestIsolateNewLeaders(t *testing.T) {
	const from, until = time.Second, 2500 * time.Millisecond
	for seed := uint64(1); seed <= 3; seed++ {
		cfg := small(seed)
		cfg.Timeline = []Action{{At: from, Kind: ActIsolateNewLeaders, Until: until, After: 10 * time.Millisecond,
			RestartAfter: 100 * time.Millisecond, RestartAfterMax: 250 * time.Millisecond, IncludeLeader: true}}
		res, lines := traced(t, cfg)
		requirePass(t, res)
		var cuts, rejoins []line
		for _, l := range lines {
			switch l.Text {
			case "isolate_new_leaders: isolate":
				cuts = append(cuts, l)
			case "isolate_new_leaders: reconnect":
				rejoins = append(rejoins, l)
			}
		}
		if len(cuts) < 3 {
			t.Fatalf("seed %d: %d isolations in 1.5s", seed, len(cuts))
		}
		// The leader in office at 1s is the first victim.
		if old := leaderBefore(res, cfg.Nodes, from); cuts[0].Node != uint64(old) || cuts[0].T > int64(from+10*time.Millisecond) {
			t.Errorf("seed %d: first isolation %+v, want leader %d within 10ms of %v", seed, cuts[0], old, from)
		}
		for _, c := range cuts {
			elected := time.Duration(0)
			for _, tn := range res.Tenures {
				if tn.Node == raft.NodeID(c.Node) && tn.Elected.Duration() <= time.Duration(c.T) {
					elected = tn.Elected.Duration()
				}
			}
			if time.Duration(c.T)-max(elected, from) > 10*time.Millisecond {
				t.Errorf("seed %d: node %d isolated at %v, elected at %v", seed, c.Node, time.Duration(c.T), elected)
			}
			j := slices.IndexFunc(rejoins, func(r line) bool { return r.Node == c.Node && r.T > c.T })
			if j < 0 {
				continue // the healing phase reconnected it
			}
			if d := time.Duration(rejoins[j].T - c.T); d < 100*time.Millisecond || d > 250*time.Millisecond {
				t.Errorf("seed %d: node %d back after %v, want 100-250ms", seed, c.Node, d)
			}
		}
	}
}

// crash_new_leaders with IncludeLeader crashes the leader in office, and
// a restart range draws each comeback.
func TestCrashNewLeadersIncludesTheLeader(t *testing.T) {
	cfg := small(2)
	const at = time.Second
	cfg.Timeline = []Action{{At: at, Kind: ActCrashNewLeaders, Until: 2 * time.Second, After: 5 * time.Millisecond,
		RestartAfter: 50 * time.Millisecond, RestartAfterMax: 200 * time.Millisecond, IncludeLeader: true}}
	res, lines := traced(t, cfg)
	requirePass(t, res)
	old := leaderBefore(res, cfg.Nodes, at)
	var crashes []line
	for _, l := range lines {
		if l.Text == "crash_new_leaders: crash" {
			crashes = append(crashes, l)
		}
	}
	if len(crashes) == 0 || crashes[0].Node != uint64(old) || crashes[0].T > int64(at+5*time.Millisecond) {
		t.Fatalf("crashes %+v; leader in office %d", crashes, old)
	}
	downs := map[time.Duration]bool{}
	for _, c := range crashes {
		for _, l := range lines {
			if l.Ev == "restart" && l.Node == c.Node && l.T > c.T {
				d := time.Duration(l.T - c.T)
				if d < 50*time.Millisecond || d > 200*time.Millisecond {
					t.Errorf("node %d down %v", c.Node, d)
				}
				downs[d] = true
				break
			}
		}
	}
	if len(downs) < 2 {
		t.Errorf("restart delays %v: not drawn", downs)
	}
	cfg.Timeline[0].RestartAfterMax = 10 * time.Millisecond
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "restart_after: [50ms, 10ms] is not a valid range") {
		t.Errorf("Validate = %v", err)
	}
}
