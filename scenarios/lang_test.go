package scenarios

import (
	"errors"
	"strings"
	"testing"

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
