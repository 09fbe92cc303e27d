package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// entry writes one [[timeline]] table from key = value lines.
func entry(lines ...string) string {
	return "[[timeline]]\n" + strings.Join(lines, "\n") + "\n"
}

// parseErrorCase is bad input and the error it must give: the whole
// prefix "file:line: field: " and a fragment of the message.
type parseErrorCase struct {
	name, text, prefix, msg string
}

func checkParseErrors(t *testing.T, cases []parseErrorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(c.text))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, want an *Error\ninput:\n%s", err, c.text)
			}
			got := err.Error()
			if !strings.HasPrefix(got, c.prefix) || !strings.Contains(got, c.msg) {
				t.Fatalf("error\n  %s\nwant prefix %q and %q\ninput:\n%s", got, c.prefix, c.msg, c.text)
			}
		})
	}
}

// langBase is the two lines every case starts with.
const langBase = "nodes = 5\nduration = \"3s\"\n"

func TestParseRejectsBadTargets(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"unbound name", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = ["old"]`),
			"x.toml:6: timeline[0].nodes: ", `"old" is bound by no earlier action's as`},
		{"name bound later", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = ["old"]`) + entry(`at = "2s"`, `action = "crash"`, `leader = true`, `as = "old"`),
			"x.toml:6: timeline[0].nodes: ", `"old" is bound by no earlier action's as`},
		{"bad name", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `as = "Old Leader"`),
			"x.toml:7: timeline[0].as: ", `"Old Leader" is not a name`},
		{"bad name in nodes", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = [1, "Old"]`),
			"x.toml:6: timeline[0].nodes[1]: ", `"Old" is not a name bound by as`},
		{"name twice", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `as = "a"`) + entry(`at = "2s"`, `action = "pause"`, `nodes = ["a", "a"]`),
			"x.toml:11: timeline[1].nodes[1]: ", `"a" is listed twice`},
		{"node ID out of range beside a name", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `as = "a"`) + entry(`at = "2s"`, `action = "pause"`, `nodes = ["a", 7]`),
			"x.toml:11: timeline[1].nodes: ", "node 7 is not in the cluster"},
		{"two selectors", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `random = 2`),
			"x.toml:7: timeline[0].random: ", "at most one of leader, follower, random, leader_and, except_leader; this one has leader already"},
		{"random out of range", langBase + entry(`at = "1s"`, `action = "crash"`, `random = 6`),
			"x.toml:6: timeline[0].random: ", "6 is outside [1, 5]"},
		{"leader_and out of range", langBase + entry(`at = "1s"`, `action = "isolate"`, `leader_and = 5`),
			"x.toml:6: timeline[0].leader_and: ", "5 is outside [1, 4]"},
		{"follower on a restart", langBase + entry(`at = "1s"`, `action = "restart"`, `follower = true`),
			"x.toml:6: timeline[0].follower: ", "a restart action takes no follower"},
		{"require of the wrong type", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `require = "yes"`),
			"x.toml:7: timeline[0].require: ", "is a string, want true or false"},
		{"except_leader on a heal", langBase + entry(`at = "1s"`, `action = "heal"`, `except_leader = true`),
			"x.toml:6: timeline[0].except_leader: ", "a heal action takes no except_leader"},
		{"crash of a named node already down", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = [2]`, `as = "two"`) + entry(`at = "2s"`, `action = "crash"`, `nodes = ["two"]`),
			"x.toml:11: timeline[1].nodes: ", "node 2 is already down (crashed by timeline[0])"},
	})
}

// Names bound to run-time picks leave the state uncertain: a restart of a
// name bound to the crashed leader is accepted.
func TestParseAcceptsTargets(t *testing.T) {
	text := langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `as = "old"`, `require = true`) +
		entry(`at = "1200ms"`, `action = "crash"`, `follower = true`) +
		entry(`at = "1500ms"`, `action = "restart"`, `nodes = ["old"]`) +
		entry(`at = "1600ms"`, `action = "restart"`, `random = 1`) +
		entry(`at = "2s"`, `action = "isolate"`, `leader_and = 1`, `as = "side"`) +
		entry(`at = "2100ms"`, `action = "pause"`, `except_leader = true`) +
		entry(`at = "2200ms"`, `action = "resume"`) +
		entry(`at = "2300ms"`, `action = "slow_disk"`, `nodes = [3, "side"]`, `sync = "10ms"`)
	s, err := Parse("ok.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Config.Timeline
	if !tl[0].Leader || tl[0].As != "old" || !tl[0].Require || !tl[1].Follower || tl[2].Names[0] != "old" ||
		tl[3].Random != 1 || tl[4].LeaderAnd != 1 || !tl[5].ExceptLeader {
		t.Fatalf("timeline %+v", tl)
	}
	if got := tl[7]; len(got.Nodes) != 1 || got.Nodes[0] != raft.NodeID(3) || got.Names[0] != "side" {
		t.Fatalf("mixed nodes list: %+v", got)
	}
	roundTrip(t, s)
	if _, err := sim.Run(s.ConfigFor(1)); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejectsBadTimesAndWaits(t *testing.T) {
	waitLeader := entry(`at = "1s"`, `wait = "leader"`, `within = "1s"`)
	checkParseErrors(t, []parseErrorCase{
		{"at and after", langBase + entry(`at = "1s"`, `after = "1s"`, `action = "heal"`),
			"x.toml:5: timeline[0].after: ", "a time (at) or a delay after the previous entry (after), not both"},
		{"no time", langBase + entry(`action = "heal"`),
			"x.toml:3: timeline[0].at: ", "missing: every entry needs a time"},
		{"fixed time after a wait", langBase + waitLeader + entry(`at = "2s"`, `action = "heal"`),
			"x.toml:8: timeline[1].at: ", "the time of timeline[0] is known only at run time (a wait, or a drawn delay): use after"},
		{"fixed time after a drawn delay", langBase + entry(`after = "1s..2s"`, `action = "heal"`) + entry(`at = "2s"`, `action = "heal"`),
			"x.toml:7: timeline[1].at: ", "known only at run time"},
		{"range upside down", langBase + entry(`after = "5ms..1ms"`, `action = "heal"`),
			"x.toml:4: timeline[0].after: ", "the upper bound is below the lower bound"},
		{"delays past the end", langBase + entry(`at = "2s"`, `action = "heal"`) + entry(`after = "1s"`, `action = "heal"`),
			"x.toml:7: timeline[1].after: ", "3s is not before the end of the fault phase"},
		{"unknown wait", langBase + entry(`at = "1s"`, `wait = "quorum"`, `within = "1s"`),
			"x.toml:5: timeline[0].wait: ", `"quorum" is not a state to wait for: "leader", "commit" or "membership"`},
		{"wait without within", langBase + entry(`at = "1s"`, `wait = "leader"`),
			"x.toml:5: timeline[0].wait: ", "a wait needs within"},
		{"on for a leader wait", langBase + entry(`at = "1s"`, `wait = "leader"`, `within = "1s"`, `on = "all"`),
			"x.toml:7: timeline[0].on: ", "only a commit wait takes on"},
		{"on out of range", langBase + entry(`at = "1s"`, `propose = 1`, `leader = true`) + entry(`at = "1s"`, `wait = "commit"`, `within = "1s"`, `on = 9`),
			"x.toml:11: timeline[1].on: ", "9 is outside [1, 5]"},
		{"on not a quorum", langBase + entry(`at = "1s"`, `propose = 1`, `leader = true`) + entry(`at = "1s"`, `wait = "commit"`, `within = "1s"`, `on = "most"`),
			"x.toml:11: timeline[1].on: ", `"most" is not "majority", "all" or a number of nodes`},
		{"commit wait without proposals", langBase + entry(`at = "1s"`, `wait = "commit"`, `within = "1s"`),
			"x.toml:5: timeline[0].wait: ", "a commit wait needs a propose entry before it"},
		{"targets on a wait", langBase + entry(`at = "1s"`, `wait = "leader"`, `within = "1s"`, `leader = true`),
			"x.toml:7: timeline[0].leader: ", "a wait takes no leader (it takes within, on, of, as)"},
		{"action and wait", langBase + entry(`at = "1s"`, `action = "heal"`, `wait = "leader"`),
			"x.toml:6: timeline[0].wait: ", "an entry is one of an action, a wait, a propose and a sleep; this one has action already"},
		{"wait spelled as an action", langBase + entry(`at = "1s"`, `action = "wait"`),
			"x.toml:5: timeline[0].action: ", `"wait" is not an action`},
		{"no kind", langBase + entry(`at = "1s"`),
			"x.toml:3: timeline[0].action: ", "missing: an entry is an action"},
		{"propose zero", langBase + entry(`at = "1s"`, `propose = 0`, `leader = true`),
			"x.toml:5: timeline[0].propose: ", "0 is outside [1, 10000]"},
		{"propose without targets", langBase + entry(`at = "1s"`, `propose = 3`),
			"x.toml:3: timeline[0].nodes: ", "a propose entry needs nodes = [...]"},
		{"propose to a crashed node", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = [2]`) + entry(`at = "2s"`, `propose = 3`, `nodes = [2]`),
			"x.toml:10: timeline[1].nodes: ", "node 2 is down (crashed by timeline[0]): it cannot take proposals"},
		{"nemesis delay in two spellings", langBase + entry(`at = "1s"`, `action = "crash_new_leaders"`, `until = "2s"`, `within = "5ms"`, `after = "5ms"`, `restart_after = "100ms"`),
			"x.toml:8: timeline[0].after: ", "not both"},
	})
}

// Relative times resolve to fixed ones while the timeline's time is known;
// after a wait or a drawn delay, entries follow at run time.
func TestParseRelativeTimes(t *testing.T) {
	text := langBase + entry(`after = "500ms"`, `action = "crash"`, `nodes = [1]`) +
		entry(`after = "250ms"`, `action = "restart"`, `nodes = [1]`) +
		entry(`after = "0s"`, `wait = "leader"`, `within = "2s"`) +
		entry(`after = "100ms"`, `propose = 50`, `leader = true`, `require = true`) +
		entry(`after = "0s"`, `wait = "commit"`, `within = "1s"`, `on = "all"`) +
		entry(`after = "10ms..20ms"`, `action = "crash_new_leaders"`, `until = "2900ms"`, `within = "5ms"`, `restart_after = "50ms"`)
	s, err := Parse("rel.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Config.Timeline
	fixed := func(i int, at time.Duration) {
		if tl[i].Follows || tl[i].At != at {
			t.Errorf("timeline[%d]: follows %v at %v, want fixed at %v", i, tl[i].Follows, tl[i].At, at)
		}
	}
	fixed(0, 500*time.Millisecond)
	fixed(1, 750*time.Millisecond)
	// A wait right after a known time starts at a known time; what
	// follows it does not.
	if tl[2].Follows || tl[2].At != 750*time.Millisecond || !tl[3].Follows || tl[3].At != 850*time.Millisecond {
		t.Errorf("wait and proposal: %+v / %+v", tl[2], tl[3])
	}
	if tl[3].Count != 50 || tl[4].Wait != sim.WaitCommit || tl[4].On != sim.OnAll || tl[4].Within != time.Second {
		t.Errorf("proposal and commit wait: %+v / %+v", tl[3], tl[4])
	}
	if n := tl[5]; !n.Follows || n.DelayMin != 10*time.Millisecond || n.DelayMax != 20*time.Millisecond || n.After != 5*time.Millisecond {
		t.Errorf("nemesis %+v", n)
	}
	roundTrip(t, s)
	res, err := sim.Run(s.ConfigFor(1))
	if err != nil || !res.Passed() {
		t.Fatalf("run: %v %v", err, res.Failures)
	}
}

// Files written before relative times spelled the nemesis's delay after.
func TestParseNemesisLegacyAfter(t *testing.T) {
	s, err := Parse("old.toml", []byte(langBase+entry(`at = "1s"`, `action = "crash_new_leaders"`, `until = "2s"`, `after = "7ms"`, `restart_after = "100ms"`)))
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Config.Timeline[0]; a.At != time.Second || a.After != 7*time.Millisecond || a.Follows {
		t.Fatalf("%+v", a)
	}
	if enc := string(Encode(s)); !strings.Contains(enc, `within = "7ms"`) {
		t.Fatalf("encoded as\n%s", enc)
	}
}

func TestParseRejectsBadReconnects(t *testing.T) {
	iso := func(at, nodes string) string { return entry(`at = "`+at+`"`, `action = "isolate"`, `nodes = `+nodes) }
	checkParseErrors(t, []parseErrorCase{
		{"reconnect of a connected node", langBase + iso("1s", "[1]") + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1, 2]`),
			"x.toml:10: timeline[1].nodes: ", "node 2 is not isolated at 2s"},
		{"reconnect after a heal", langBase + iso("1s", "[1]") + entry(`at = "1500ms"`, `action = "heal"`) + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1]`),
			"x.toml:13: timeline[2].nodes: ", "node 1 is not isolated at 2s"},
		{"reconnect without targets", langBase + entry(`at = "1s"`, `action = "reconnect"`),
			"x.toml:3: timeline[0].nodes: ", "a reconnect action needs nodes"},
		{"connect of an open link", langBase + entry(`at = "1s"`, `action = "connect"`, `from = 1`, `to = 2`),
			"x.toml:6: timeline[0].from: ", "link 1 -> 2 is not cut at 1s"},
		{"connect of the other direction", langBase + entry(`at = "1s"`, `action = "cut_one_way"`, `from = 1`, `to = 2`) + entry(`at = "2s"`, `action = "connect"`, `from = 2`, `to = 1`),
			"x.toml:11: timeline[1].from: ", "link 2 -> 1 is not cut at 2s"},
		{"reconnect at the instant of a partition", langBase + iso("1s", "[1]") + entry(`at = "2s"`, `action = "partition"`, `groups = [[2], [3, 4, 5]]`) + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1]`),
			"x.toml:12: timeline[2].at: ", "conflicts with timeline[1], which cuts links at the same instant 2s"},
		{"partition at the instant of a reconnect", langBase + iso("1s", "[1]") + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1]`) + entry(`at = "2s"`, `action = "partition"`, `groups = [[2], [3, 4, 5]]`),
			"x.toml:12: timeline[2].at: ", "conflicts with timeline[1], which reconnects at the same instant 2s"},
		{"isolate and reconnect a node at once", langBase + iso("1s", "[1]") + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1]`) + iso("2s", "[1]"),
			"x.toml:12: timeline[2].at: ", "conflicts with timeline[1], which also sets the connections of node 1 at 2s"},
		{"nemesis without its comeback", langBase + entry(`at = "1s"`, `action = "isolate_new_leaders"`, `until = "2s"`, `within = "5ms"`),
			"x.toml:5: timeline[0].action: ", "a isolate_new_leaders action needs reconnect_after"},
		{"restart range upside down", langBase + entry(`at = "1s"`, `action = "crash_new_leaders"`, `until = "2s"`, `within = "5ms"`, `restart_after = "300ms..100ms"`),
			"x.toml:8: timeline[0].restart_after: ", "the upper bound is below the lower bound"},
		{"reconnect_after on a crash nemesis", langBase + entry(`at = "1s"`, `action = "crash_new_leaders"`, `until = "2s"`, `reconnect_after = "100ms"`),
			"x.toml:7: timeline[0].reconnect_after: ", "a crash_new_leaders action takes no reconnect_after"},
		{"include_leader of the wrong type", langBase + entry(`at = "1s"`, `action = "isolate_new_leaders"`, `until = "2s"`, `reconnect_after = "100ms"`, `include_leader = 1`),
			"x.toml:8: timeline[0].include_leader: ", "is an integer, want true or false"},
	})
}

// Swapping sides is two actions at one instant; a name bound to the
// leader is reconnected whoever it was.
func TestParseAcceptsReconnects(t *testing.T) {
	text := "nodes = 5\nduration = \"4s\"\n" +
		entry(`at = "0s"`, `wait = "leader"`, `within = "1s"`) +
		entry(`after = "0s"`, `action = "isolate"`, `leader_and = 1`, `as = "side_a"`) +
		entry(`after = "0s"`, `action = "isolate"`, `except_leader = true`, `as = "side_b"`) +
		entry(`after = "500ms"`, `action = "reconnect"`, `nodes = ["side_b"]`) +
		entry(`after = "500ms"`, `action = "isolate"`, `nodes = ["side_b"]`) +
		entry(`after = "0s"`, `action = "reconnect"`, `nodes = ["side_a"]`) +
		entry(`after = "100ms"`, `action = "cut_one_way"`, `from = 1`, `to = 2`) +
		entry(`after = "100ms"`, `action = "connect"`, `from = 1`, `to = 2`) +
		entry(`after = "0s"`, `action = "isolate_new_leaders"`, `until = "3900ms"`, `within = "5ms"`, `reconnect_after = "50ms..150ms"`, `include_leader = true`) +
		entry(`after = "0s"`, `action = "crash_new_leaders"`, `until = "3900ms"`, `within = "5ms"`, `restart_after = "100ms"`)
	s, err := Parse("swap.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Config.Timeline
	if n := tl[8]; n.Kind != sim.ActIsolateNewLeaders || n.RestartAfter != 50*time.Millisecond || n.RestartAfterMax != 150*time.Millisecond || !n.IncludeLeader {
		t.Fatalf("isolate_new_leaders %+v", n)
	}
	if n := tl[9]; n.RestartAfter != 100*time.Millisecond || n.RestartAfterMax != 0 {
		t.Fatalf("crash_new_leaders %+v", n)
	}
	roundTrip(t, s)
	if _, err := sim.Run(s.ConfigFor(3)); err != nil {
		t.Fatal(err)
	}
	// At one fixed instant too.
	text = langBase + entry(`at = "1s"`, `action = "isolate"`, `nodes = [1, 2]`) +
		entry(`at = "2s"`, `action = "isolate"`, `nodes = [3]`) + entry(`at = "2s"`, `action = "reconnect"`, `nodes = [1, 2]`)
	if _, err := Parse("swap2.toml", []byte(text)); err != nil {
		t.Fatal(err)
	}
}

// check writes one [[check]] block.
func check(lines ...string) string {
	return "[[check]]\n" + strings.Join(lines, "\n") + "\n"
}

func TestParseRejectsBadChecks(t *testing.T) {
	isoLeader := entry(`at = "1s"`, `action = "isolate"`, `leader = true`, `as = "old"`)
	checkParseErrors(t, []parseErrorCase{
		{"no kind", langBase + check(`from = "1s"`),
			"x.toml:3: check[0]: ", "a check needs its kind: one of no_commit, no_leader"},
		{"two kinds", langBase + check(`no_commit = true`, `term_stable = true`),
			"x.toml:5: check[0].term_stable: ", "a check has one kind; this one is no_commit already"},
		{"false kind", langBase + check(`no_leader = false`),
			"x.toml:4: check[0].no_leader: ", "no_leader = false asserts nothing"},
		{"bad within", langBase + check(`leader_within = "soon"`),
			"x.toml:4: check[0].leader_within: ", "is not a duration"},
		{"until on a timed check", langBase + check(`progress_within = "1s"`, `until = "2s"`),
			"x.toml:5: check[0].until: ", "a progress_within check takes no until (it takes from)"},
		{"connected on no_commit", langBase + check(`no_commit = true`, `connected = true`),
			"x.toml:5: check[0].connected: ", "a no_commit check takes no connected"},
		{"unknown key", langBase + check(`no_commit = true`, `form = "1s"`),
			"x.toml:5: check[0].form: ", `unknown key (did you mean "from"?)`},
		{"bad anchor", langBase + check(`no_commit = true`, `from = "Old Leader"`),
			"x.toml:5: check[0].from: ", `is not a time such as "1s", nor a name bound by as`},
		{"bad offset", langBase + check(`no_commit = true`, `from = "old+soon"`),
			"x.toml:5: check[0].from: ", `"old+soon": the offset`},
		{"unbound anchor", langBase + check(`no_commit = true`, `from = "old+10ms"`),
			"x.toml:5: check[0].from: ", `"old" is bound by no timeline entry's as`},
		{"anchor bound twice", langBase + isoLeader + entry(`at = "2s"`, `action = "reconnect"`, `nodes = ["old"]`, `as = "old"`) + check(`no_commit = true`, `from = "old"`),
			"x.toml:15: check[0].from: ", `"old" is bound by 2 timeline entries`},
		{"until before from", langBase + check(`no_commit = true`, `from = "2s"`, `until = "1s"`),
			"x.toml:6: check[0].until: ", "1s is not after from (2s)"},
		{"until past the run", langBase + check(`no_commit = true`, `until = "1h"`),
			"x.toml:5: check[0].until: ", "after the end of the run"},
		{"unbound node name", langBase + check(`no_commit = true`, `nodes = ["ghost"]`),
			"x.toml:5: check[0].nodes: ", `"ghost" is bound by no timeline entry's as`},
		{"applied_on a word", langBase + check(`applied_on = "most"`),
			"x.toml:4: check[0].applied_on: ", `"most" is not "majority", "all" or a number of nodes`},
		{"messages of no class", langBase + check(`max_messages = 30`, `messages = "votes"`),
			"x.toml:5: check[0].messages: ", `"votes" is not "all", "requests" or "responses"`},
		{"max_messages negative", langBase + check(`max_messages = -1`),
			"x.toml:4: check[0].max_messages: ", "-1 is outside"},
		{"bad name", langBase + check(`no_commit = true`, `name = "No Commit"`),
			"x.toml:5: check[0].name: ", "is not a failure name"},
		{"two checks of one name", langBase + check(`no_commit = true`) + check(`no_commit = true`, `from = "1s"`),
			"x.toml:5: check[1].name: ", `"no-commit" is also the name of checks[0]; give one a name`},
	})
}

// Every check kind parses, writes back the same, runs; expect names a
// check by its name.
func TestParseChecks(t *testing.T) {
	text := "nodes = 5\nduration = \"3s\"\nexpect = [\"old-leader-commits\"]\n" +
		entry(`at = "0s"`, `wait = "leader"`, `within = "1s"`, `as = "first"`) +
		entry(`after = "300ms"`, `action = "isolate"`, `nodes = ["first"]`, `as = "old"`) +
		check(`no_commit = true`, `name = "old-leader-commits"`, `from = "old+50ms"`, `until = "2500ms"`, `nodes = ["old"]`) +
		check(`no_leader = true`, `from = "old+400ms"`, `until = "old+500ms"`, `nodes = ["old"]`, `connected = true`) +
		check(`one_leader = true`, `from = "old+600ms"`, `connected = true`) +
		check(`leader_within = "1s"`, `from = "old"`) +
		check(`term_stable = true`, `from = "first"`, `until = "old"`) +
		check(`applied_on = "all"`, `from = "first"`, `until = "old"`) +
		check(`progress_within = "800ms"`, `from = "old"`) +
		check(`max_messages = 1000000`, `messages = "requests"`, `until = "3s"`)
	s, err := Parse("checks.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cs := s.Config.Checks
	if len(cs) != 8 || cs[0].Name != "old-leader-commits" || cs[0].From != (sim.Anchor{Name: "old", Offset: 50 * time.Millisecond}) ||
		cs[0].Until != (sim.Anchor{Offset: 2500 * time.Millisecond}) || cs[0].Names[0] != "old" || !cs[1].Connected ||
		cs[3].Within != time.Second || cs[5].On != sim.OnAll || cs[7].Max != 1000000 || cs[7].Messages != sim.MessagesRequests {
		t.Fatalf("checks %+v", cs)
	}
	roundTrip(t, s)
	// The isolated old leader commits nothing more: the expectation names
	// a check that cannot fail, so the run "passes" instead.
	res, err := sim.Run(s.ConfigFor(2))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || s.Expect.Check(res) == nil {
		t.Fatalf("failures %v", res.Failures)
	}
	// A check that must fail, named in expect, meets the expectation.
	broken := strings.Replace(text, `nodes = ["old"]`+"\n", "", 1)
	s, err = Parse("broken.toml", []byte(broken))
	if err != nil {
		t.Fatal(err)
	}
	res, _ = sim.Run(s.ConfigFor(2))
	if err := s.Expect.Check(res); err != nil {
		t.Fatalf("%v: %v", err, res.Failures)
	}
}

// step writes one [[timeline.steps]] table.
func step(lines ...string) string {
	return "[[timeline.steps]]\n" + strings.Join(lines, "\n") + "\n"
}

func TestParseRejectsBadRepeatsAndGuards(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"except without a draw", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = [1]`, `except = [2]`),
			"x.toml:7: timeline[0].except: ", "except narrows a follower, random, leader_and or except_leader draw"},
		{"except with leader", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `except = [2]`),
			"x.toml:7: timeline[0].except: ", "this action has none"},
		{"except of an unbound name", langBase + entry(`at = "1s"`, `action = "crash"`, `random = 1`, `except = ["x"]`),
			"x.toml:7: timeline[0].except: ", `"x" is bound by no earlier action's as`},
		{"bad chance", langBase + entry(`at = "1s"`, `action = "heal"`, `chance = 0.5`),
			"x.toml:6: timeline[0].chance: ", "is a float, want a probability string"},
		{"bad when", langBase + entry(`at = "1s"`, `action = "heal"`, `when = "nodes < 3"`),
			"x.toml:6: timeline[0].when: ", `"nodes < 3" is not a condition such as "up < 3"`},
		{"label of two lines", langBase + entry(`at = "1s"`, `action = "heal"`, `label = "a\nb"`),
			"x.toml:6: timeline[0].label: ", "a label is one line of at most 200 characters"},
		{"bad sleep", langBase + entry(`at = "1s"`, `sleep = "2ms..1ms"`),
			"x.toml:5: timeline[0].sleep: ", "the upper bound is below the lower bound"},
		{"retry on an action", langBase + entry(`at = "1s"`, `action = "crash"`, `leader = true`, `retry = true`),
			"x.toml:7: timeline[0].retry: ", "a crash action takes no retry"},
		{"repeat without steps", langBase + "[[timeline]]\nrepeat = 3\n",
			"x.toml:3: timeline[0].steps: ", "missing: a repeat block needs [[timeline.steps]]"},
		{"repeat of zero", langBase + "[[timeline]]\nrepeat = 0\n" + step(`after = "1ms"`, `action = "heal"`),
			"x.toml:4: timeline[0].repeat: ", "0 is outside [1, 100000]"},
		{"steps without repeat", langBase + "[[timeline]]\n" + step(`after = "1ms"`, `action = "heal"`),
			"x.toml:3: timeline[0].repeat: ", "missing: a block with steps repeats them repeat = N times"},
		{"an action key on a repeat block", langBase + "[[timeline]]\nrepeat = 2\naction = \"heal\"\n" + step(`after = "1ms"`, `action = "heal"`),
			"x.toml:5: timeline[0].action: ", "a repeat block takes only repeat and its [[timeline.steps]]"},
		{"at in a step", langBase + "[[timeline]]\nrepeat = 2\n" + step(`at = "1s"`, `action = "heal"`),
			"x.toml:6: timeline[0].steps[0].at: ", "the steps of a repeat block follow one another: use after"},
		{"nested repeat", langBase + "[[timeline]]\nrepeat = 2\n" + step(`repeat = 2`),
			"x.toml:6: timeline[0].steps[0].repeat: ", "repeat blocks do not nest"},
		{"too many entries", langBase + "[[timeline]]\nrepeat = 60000\n" + step(`after = "0s"`, `action = "heal"`) + step(`after = "0s"`, `action = "heal"`),
			"x.toml:4: timeline[0].repeat: ", "60000 repetitions of 2 steps make 120000 entries, more than 100000"},
		{"repetitions past the end", langBase + "[[timeline]]\nrepeat = 40\n" + step(`after = "100ms"`, `action = "heal"`),
			"x.toml:6: timeline[0].steps[0].after: ", "3s is not before the end of the fault phase"},
		{"a contradiction in a later repetition", langBase + "[[timeline]]\nrepeat = 2\n" + step(`after = "100ms"`, `action = "crash"`, `nodes = [2]`),
			"x.toml:8: timeline[0].steps[0].nodes: ", "node 2 is already down (crashed by timeline[0].steps[0] (repetition 1)) (repetition 2)"},
	})
}

// Repeat blocks unroll into labelled entries; chance, when, except,
// sleep and retry read and write back.
func TestParseRepeatAndGuards(t *testing.T) {
	text := "nodes = 5\nduration = \"20s\"\n" +
		entry(`at = "0s"`, `wait = "leader"`, `within = "1s"`, `as = "first"`) +
		"[[timeline]]\nrepeat = 30\n" +
		step(`after = "0s"`, `propose = 1`, `leader = true`, `retry = true`) +
		step(`after = "0s"`, `sleep = "0ms..200ms"`, `chance = "10%"`) +
		step(`after = "0ms..13ms"`, `action = "crash"`, `leader = true`) +
		step(`after = "0s"`, `action = "restart"`, `random = 1`, `except = ["first"]`, `when = "up < 3"`) +
		entry(`after = "0s"`, `action = "restart"`) +
		entry(`after = "0s"`, `wait = "leader"`, `within = "2s"`) +
		entry(`after = "0s"`, `propose = 1`, `leader = true`, `retry = true`) +
		entry(`after = "0s"`, `wait = "commit"`, `within = "5s"`, `on = "all"`)
	s, err := Parse("rep.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Config.Timeline
	if len(tl) != 1+30*4+4 {
		t.Fatalf("%d entries", len(tl))
	}
	if a := tl[1+4*7+3]; a.Label != "timeline[1].steps[3] (repetition 8)" || a.When.String() != "up < 3" || a.ExceptNames[0] != "first" || a.Random != 1 {
		t.Fatalf("entry %+v", a)
	}
	if a := tl[2]; a.Kind != sim.ActSleep || a.SleepMax != 200*time.Millisecond || a.Chance.String() != "1/10" || !a.Follows {
		t.Fatalf("sleep %+v", a)
	}
	if !tl[1].Retry {
		t.Fatalf("propose %+v", tl[1])
	}
	// Written unrolled, labels kept: the same timeline.
	roundTrip(t, s)
	for seed := uint64(1); seed <= 3; seed++ {
		res, err := sim.Run(s.ConfigFor(seed))
		if err != nil || !res.Passed() {
			t.Fatalf("seed %d: %v %v", seed, err, res.Failures)
		}
	}
}

func TestParseRejectsBadLinkKinds(t *testing.T) {
	link := func(lines ...string) string {
		return entry(append([]string{`at = "1s"`, `action = "link"`}, lines...)...)
	}
	checkParseErrors(t, []parseErrorCase{
		{"unknown class", langBase + link(`messages = "votes"`, `loss = "5%"`),
			"x.toml:6: timeline[0].messages: ", `"votes" is not "all", "requests", "responses" or a list of message types`},
		{"unknown message type", langBase + link(`messages = ["App", "Append"]`),
			"x.toml:6: timeline[0].messages[1]: ", `"Append" is not a message type (PreVote, PreVoteResp, Vote, VoteResp, App, AppResp`},
		{"type twice", langBase + link(`messages = ["App", "App"]`),
			"x.toml:6: timeline[0].messages[1]: ", `"App" is listed twice`},
		{"empty list", langBase + link(`messages = []`),
			"x.toml:6: timeline[0].messages: ", "an empty list of message types"},
		{"outlive_heal on a crash", langBase + entry(`at = "1s"`, `action = "crash"`, `nodes = [1]`, `outlive_heal = true`),
			"x.toml:7: timeline[0].outlive_heal: ", "a crash action takes no outlive_heal"},
		{"unknown key in a message class", langBase + "[network.requests]\nlos = \"5%\"\n",
			"x.toml:4: network.requests.los: ", `unknown key (did you mean "loss"?)`},
		{"bad value in a message class", langBase + "[network.responses]\nloss = \"150%\"\n",
			"x.toml:4: network.responses.loss: ", `"150%" is more than 1`},
		{"unknown class table", langBase + "[network.replies]\nloss = \"5%\"\n",
			"x.toml:3: network.replies: ", "unknown key"},
	})
}

// The settings of 6.5840's unreliable network, replies delayed long
// after a while, a setting that outlives the heal: they read and write
// back.
func TestParseLinkKinds(t *testing.T) {
	text := langBase + "[network]\ndelay = \"1ms\"\n[network.requests]\ndelay = \"0ms..27ms\"\nloss = \"10%\"\n[network.responses]\nloss = \"10%\"\n" +
		entry(`at = "1s"`, `action = "link"`, `messages = "responses"`, `reorder = "2/3"`, `reorder_window = "2200ms"`, `outlive_heal = true`) +
		entry(`at = "2s"`, `action = "link"`, `from = 1`, `to = 2`, `messages = ["AppResp", "HeartbeatResp"]`, `loss = "50%"`)
	s, err := Parse("links.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	k := s.Config.NetworkKinds
	if len(k) != 2 || k[0].Messages != sim.MessagesRequests || k[0].Link.Loss.String() != "1/10" || k[0].Link.Delay.Max != 27*time.Millisecond ||
		k[1].Messages != sim.MessagesResponses || k[1].Link.Delay.Max != time.Millisecond {
		t.Fatalf("network kinds %+v", k)
	}
	tl := s.Config.Timeline
	if !tl[0].OutliveHeal || tl[0].Messages != sim.MessagesResponses || tl[0].Link.Reorder.Window != 2200*time.Millisecond ||
		len(tl[1].MsgTypes) != 2 || tl[1].MsgTypes[1] != raft.MsgHeartbeatResp {
		t.Fatalf("timeline %+v", tl)
	}
	roundTrip(t, s)
}

func TestParseWaitOf(t *testing.T) {
	propose := entry(`at = "1s"`, `propose = 1`, `leader = true`)
	checkParseErrors(t, []parseErrorCase{
		{"of on a leader wait", langBase + entry(`at = "1s"`, `wait = "leader"`, `within = "1s"`, `of = "all"`),
			"x.toml:7: timeline[0].of: ", "only a commit wait takes of"},
		{"of neither", langBase + propose + entry(`at = "1s"`, `wait = "commit"`, `within = "1s"`, `of = "some"`),
			"x.toml:11: timeline[1].of: ", `"some" is not "latest" (the latest proposal burst) or "all" (every proposal so far)`},
	})
	s, err := Parse("of.toml", []byte(langBase+propose+entry(`at = "1s"`, `wait = "commit"`, `within = "1s"`, `of = "all"`)))
	if err != nil || !s.Config.Timeline[1].AllProposals {
		t.Fatalf("%v %+v", err, s)
	}
	roundTrip(t, s)
}

func TestParseRejectsBandwidthPerKind(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"bandwidth in a message class", langBase + "[network.requests]\nbandwidth = \"1MiB/s\"\n",
			"x.toml:4: network.requests.bandwidth: ", "a bandwidth is the link's, for every message"},
		{"bandwidth in a link action on some messages", langBase + entry(`at = "1s"`, `action = "link"`, `messages = "responses"`, `bandwidth = "1MiB/s"`),
			"x.toml:7: timeline[0].bandwidth: ", "a bandwidth is the link's, for every message"},
	})
}
