package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// Each class of bad input names file, line and field. The cases give the
// whole expected prefix "file:line: field: " and a fragment of the message.
func TestParseRejectsBadInput(t *testing.T) {
	const base = "nodes = 5\nduration = \"3s\"\n"
	crash := func(at string, extra string) string {
		return "[[timeline]]\nat = \"" + at + "\"\naction = \"crash\"\n" + extra
	}
	cases := []struct {
		name, text, prefix, msg string
	}{
		{"syntax", "nodes = = 5\n", "x.toml:1: ", "expected value"},
		{"duplicate key", "nodes = 5\nnodes = 3\n", "x.toml:2: ", "already been defined"},
		{"unknown top-level key", base + "seeed = 3\n", "x.toml:3: seeed: ", `unknown key (did you mean "seed"?)`},
		{"unknown key in a table", base + "[raft]\nelection_tick = 3\n", "x.toml:4: raft.election_tick: ", `did you mean "election_ticks"?`},
		{"unknown table", base + "[netwrk]\nloss = \"1%\"\n", "x.toml:3: netwrk: ", "unknown key"},
		{"unknown key in an action", base + crash("1s", "nodes = [1]\ncolour = 2\n"), "x.toml:7: timeline[0].colour: ", "unknown key"},
		{"key the action does not take", base + crash("1s", "nodes = [1]\ngroups = [[1], [2]]\n"), "x.toml:7: timeline[0].groups: ", "a crash action takes no groups (it takes nodes, leader, follower, random"},
		{"wrong type: string for integer", "nodes = \"five\"\n", "x.toml:1: nodes: ", "is a string, want an integer"},
		{"wrong type: float for probability", base + "[network]\nloss = 0.05\n", "x.toml:4: network.loss: ", `is a float, want a probability string such as "5%"`},
		{"wrong type: integer for duration", "duration = 3\n", "x.toml:1: duration: ", "is an integer, want a duration string"},
		{"wrong type: table for array", base + "[timeline]\nat = \"1s\"\n", "x.toml:3: timeline: ", "want an array of tables"},
		{"bad duration", "duration = \"3 seconds\"\n", "x.toml:1: duration: ", "is not a duration"},
		{"loss above 1", base + "[network]\nloss = \"150%\"\n", "x.toml:4: network.loss: ", `"150%" is more than 1`},
		{"loss above 1 as a fraction", base + "[network]\nloss = \"3/2\"\n", "x.toml:4: network.loss: ", "more than 1"},
		{"negative weight", base + "[workload.mix]\nget = -1\n", "x.toml:4: workload.mix.get: ", "-1 is outside"},
		{"node outside the cluster", base + crash("1s", "nodes = [2, 9]\n"), "x.toml:6: timeline[0].nodes[1]: ", "node 9 is not in the cluster (nodes 1..5)"},
		{"node outside the cluster in a group", base + "[[timeline]]\nat = \"1s\"\naction = \"partition\"\ngroups = [\n  [1, 2],\n  [3, 6],\n]\n", "x.toml:8: timeline[0].groups[1][1]: ", "node 6 is not in the cluster"},
		{"link endpoint outside the cluster", base + "[[timeline]]\nat = \"1s\"\naction = \"clog\"\nfrom = 1\nto = 0\n", "x.toml:7: timeline[0].to: ", "node 0 is not in the cluster"},
		{"action after the end", base + crash("3s", "nodes = [1]\n"), "x.toml:4: timeline[0].at: ", "3s is not before the end of the fault phase (duration = 3s)"},
		{"actions out of order", base + crash("2s", "nodes = [1]\n") + crash("1s", "nodes = [2]\n"), "x.toml:8: timeline[1].at: ", "1s is before the previous action's 2s"},
		{"unknown action", base + "[[timeline]]\nat = \"1s\"\naction = \"explode\"\n", "x.toml:5: timeline[0].action: ", `"explode" is not an action`},
		{"missing at", base + "[[timeline]]\naction = \"heal\"\n", "x.toml:3: timeline[0].at: ", "missing"},
		{"crash without targets", base + crash("1s", ""), "x.toml:3: timeline[0].nodes: ", "needs nodes = [...] or one of leader, follower, random, leader_and, except_leader"},
		{"crash of a crashed node", base + crash("1s", "nodes = [1]\n") + crash("2s", "nodes = [2, 1]\n"), "x.toml:10: timeline[1].nodes: ", "node 1 is already down (crashed by timeline[0])"},
		{"restart of a running node", base + "[[timeline]]\nat = \"1s\"\naction = \"restart\"\nnodes = [3]\n", "x.toml:6: timeline[0].nodes: ", "node 3 is up"},
		{"restart with nothing down", base + "[[timeline]]\nat = \"1s\"\naction = \"restart\"\n", "x.toml:5: timeline[0].action: ", "no node is down"},
		{"resume with nothing paused", base + "[[timeline]]\nat = \"1s\"\naction = \"resume\"\n", "x.toml:5: timeline[0].action: ", "no node is paused"},
		{"resume of a running node", base + "[[timeline]]\nat = \"1s\"\naction = \"resume\"\nnodes = [2]\n", "x.toml:6: timeline[0].nodes: ", "node 2 is not paused"},
		{"pause of a crashed node", base + crash("1s", "nodes = [4]\n") + "[[timeline]]\nat = \"2s\"\naction = \"pause\"\nnodes = [4]\n", "x.toml:10: timeline[1].nodes: ", "node 4 is down"},
		{"unclog of an open link", base + "[[timeline]]\nat = \"1s\"\naction = \"unclog\"\nfrom = 1\nto = 2\n", "x.toml:6: timeline[0].from: ", "link 1 -> 2 is not clogged"},
		{"two actions on a node at one instant", base + crash("1s", "nodes = [1]\n") + "[[timeline]]\nat = \"1s\"\naction = \"pause\"\nnodes = [2, 1]\n", "x.toml:8: timeline[1].at: ", "conflicts with timeline[0], which also sets the state of node 1 at 1s"},
		{"two drifts of a node at one instant", base + "[[timeline]]\nat = \"1s\"\naction = \"clock_drift\"\nnodes = [1]\ndrift_ppm = 100\n[[timeline]]\nat = \"1s\"\naction = \"clock_drift\"\nnodes = [1]\ndrift_ppm = 200\n", "x.toml:9: timeline[1].at: ", "conflicts with timeline[0]"},
		{"heal at the instant of a partition", base + "[[timeline]]\nat = \"1s\"\naction = \"isolate\"\nnodes = [1]\n[[timeline]]\nat = \"1s\"\naction = \"heal\"\n", "x.toml:8: timeline[1].at: ", "conflicts with timeline[0]"},
		{"drift out of range", base + "[[timeline]]\nat = \"1s\"\naction = \"clock_drift\"\nnodes = [1]\ndrift_ppm = 900_000\n", "x.toml:7: timeline[0].drift_ppm: ", "900000 is outside [-500000, 500000]"},
		{"long tail without its bound", base + "[network]\ndelay = \"1ms..5ms\"\ntail = \"10%\"\n", "x.toml:5: network.tail: ", "needs both tail and tail_max; tail_max is missing"},
		{"reorder without a window", base + "[network]\nreorder = \"10%\"\n", "x.toml:3: network.reorder_window: ", "zero Window"},
		{"bad expectation", base + "expect = \"Stale Read\"\n", "x.toml:3: expect: ", "is not a failure name"},
		{"bad name", "name = \"../etc\"\n", "x.toml:1: name: ", "use letters, digits"},
		{"unknown store", base + "[disk]\nstore = \"tape\"\n", "x.toml:4: disk.store: ", `"tape" is not "memory" or "file"`},
		{"unknown disk fault", base + "[disk]\nstore = \"file\"\n[[timeline]]\nat = \"1s\"\naction = \"disk_fault\"\nnodes = [1]\nfault = \"fire\"\n", "x.toml:9: timeline[0].fault: ", `"fire" is not a disk fault (bit_flip, zero_sector`},
		{"disk fault without its kind", base + "[disk]\nstore = \"file\"\n[[timeline]]\nat = \"1s\"\naction = \"disk_fault\"\nnodes = [1]\n", "x.toml:7: timeline[0].action: ", `a disk_fault action needs fault =`},
		{"disk fault on memory", base + "[[timeline]]\nat = \"1s\"\naction = \"disk_fault\"\nnodes = [1]\nfault = \"bit_flip\"\n", "x.toml:7: timeline[0].fault: ", `set [disk] store = "file"`},
		{"disk fault rate above 1", base + "[disk]\nstore = \"file\"\n[disk.faults]\nsync_error = \"3/2\"\n", "x.toml:6: disk.faults.sync_error: ", "more than 1"},
		{"disk fault rates on memory", base + "[disk.faults]\nsync_error = \"1/2\"\n", "x.toml:", `set [disk] store = "file"`},
		// Cross-field checks come from sim.Config.Validate, mapped back.
		{"heartbeat not below election", base + "[raft]\nelection_ticks = 5\nheartbeat_ticks = 5\n", "x.toml:5: raft.heartbeat_ticks: ", "must be in [1, election_ticks=5)"},
		{"lease without check quorum", base + "[raft]\nread_mode = \"lease\"\ncheck_quorum = false\n", "x.toml:4: raft.read_mode: ", "lease reads require check_quorum"},
		{"too many nodes", "nodes = 40\n", "x.toml:1: nodes: ", "40 is outside [1, 15]"},
		{"zero keys", base + "[workload]\nclients = 2\nkeys = 0\n", "x.toml:5: workload.keys: ", "must be at least 1"},
		{"deadline below attempt", base + "[workload]\nattempt_timeout = \"1s\"\ndeadline = \"500ms\"\n", "x.toml:5: workload.deadline: ", "shorter than one attempt"},
		{"nemesis window backwards", base + "[[timeline]]\nat = \"1s\"\naction = \"crash_new_leaders\"\nuntil = \"500ms\"\nrestart_after = \"100ms\"\n", "x.toml:6: timeline[0].until: ", "must be after at"},
		{"nemesis without restart", base + "[[timeline]]\nat = \"1s\"\naction = \"crash_new_leaders\"\nuntil = \"1500ms\"\n", "x.toml:", "restart_after"},
		{"not UTF-8", "name = \"\xff\"\n", "x.toml: ", "not UTF-8"},
	}
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

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.toml")
	var se *Error
	if !errors.As(err, &se) || se.File != "testdata/no-such-file.toml" || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

// A file that sets nothing gets sim.Defaults() and the file's name.
func TestParseDefaults(t *testing.T) {
	s, err := Parse("dir/my-run.toml", []byte("# nothing but a comment\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "my-run" || s.Seed != 0 || !s.Expect.Pass() {
		t.Fatalf("got name %q seed %d expect %v", s.Name, s.Seed, s.Expect)
	}
	if s.Config.Nodes != 5 || s.Config.Workload.Clients != 10 {
		t.Fatalf("defaults not applied: %+v", s.Config)
	}
}

func TestParseValues(t *testing.T) {
	text := `
seed = "18446744073709551615"
expect = ["read-freshness", "linearizability"]
[network]
delay = "2ms"
loss = "1/20"
[[timeline]]
at = "1s"
action = "link"
from = 1
to = 2
delay = "1ms..3ms"
tail = "5%"
tail_max = "40ms"
[[timeline]]
at = "1500ms"
action = "clock_jump"
leader = true
jump = "-250ms"
[[timeline]]
at = "2s"
action = "partition"
groups = [[1, 2], [3, 4, 5]]
leader = true
`
	s, err := Parse("v.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 1<<64-1 || s.Config.Seed != s.Seed {
		t.Fatalf("seed %d, config seed %d", s.Seed, s.Config.Seed)
	}
	if got := s.Expect.String(); got != "fail with read-freshness or linearizability" {
		t.Fatalf("expect %q", got)
	}
	net := s.Config.Network
	if net.Delay.String() != "constant(2ms)" || net.Loss.String() != "1/20" {
		t.Fatalf("network %v", net)
	}
	link := s.Config.Timeline[0].Link
	if link.Delay.String() != "long-tail(1ms, 3ms, 1/20 up to 40ms)" || link.Loss.String() != "1/20" {
		t.Fatalf("link action %v: keys left out must keep the [network] values", link)
	}
	if j := s.Config.Timeline[1]; !j.Leader || j.Jump.String() != "-250ms" {
		t.Fatalf("jump %+v", j)
	}
	if p := s.Config.Timeline[2]; !p.Leader || len(p.Groups) != 2 {
		t.Fatalf("partition %+v", p)
	}
	roundTrip(t, s)
}

func TestLocateConfigError(t *testing.T) {
	cases := []struct{ msg, path, rest string }{
		{"nodes: 40 is outside [1, 15]", "nodes", "40 is outside [1, 15]"},
		{"raft.heartbeat_ticks: 5 must be in [1, election_ticks=5)", "raft.heartbeat_ticks", "5 must be in [1, election_ticks=5)"},
		{"raft.max_entries_per_msg and raft.max_inflight_msgs must not be negative", "raft.max_entries_per_msg", "raft.max_entries_per_msg and raft.max_inflight_msgs must not be negative"},
		{"timeline[3] (crash at 1s): nodes: node 9 is not in the cluster (1..5)", "timeline[3].nodes", "node 9 is not in the cluster (1..5)"},
		{"timeline[0] (clog at 1s): from/to: link 1 -> 1 is a loop", "timeline[0].from", "link 1 -> 1 is a loop"},
		{"timeline[2] (partition at 1s): groups[1]: empty group", "timeline[2].groups[1]", "empty group"},
		{"timeline[1] (clock_drift at 1s): drift: +900000ppm is outside", "timeline[1].drift_ppm", "+900000ppm is outside"},
		{"timeline[1] (link at 1s): link: netsim: bad", "timeline[1]", "netsim: bad"},
		{"something else entirely", "", "something else entirely"},
	}
	for _, c := range cases {
		path, rest := locateConfigError(c.msg)
		if path != c.path || rest != c.rest {
			t.Errorf("locateConfigError(%q) = %q, %q; want %q, %q", c.msg, path, rest, c.path, c.rest)
		}
	}
}

func TestPositions(t *testing.T) {
	text := `# comment with [brackets] and key = value
name = "a # not a comment [x]"
multi = """
key = 1
[not.a.table]
"""
literal = 'it''s'
inline = { a = 1, b = { c = [1, 2] } }
arr = [
  [1, 2], # comment ]
  [3,
   4],
]
dotted.key = 3

[raft]
election_ticks = 10

[[timeline]]
at = "1s"

[[timeline]]
at = "2s"
groups = [[1], [2]]

[[timeline]]
at = "3s"
[timeline.link]
loss = "1%"
`
	p := indexPositions(text)
	want := map[string]int{
		"name": 2, "multi": 3, "literal": 7, "inline": 8, "inline.a": 8, "inline.b.c": 8, "inline.b.c[1]": 8,
		"arr": 9, "arr[0]": 10, "arr[1]": 11, "arr[1][1]": 12, "dotted": 14, "dotted.key": 14,
		"raft": 16, "raft.election_ticks": 17,
		"timeline": 19, "timeline[0]": 19, "timeline[0].at": 20, "timeline[1].at": 23, "timeline[1].groups[1]": 24,
		"timeline[2]": 26, "timeline[2].link": 28, "timeline[2].link.loss": 29,
	}
	for path, line := range want {
		if got := p.line(path); got != line {
			t.Errorf("line(%q) = %d, want %d", path, got, line)
		}
	}
	for _, path := range []string{"key", "not", "not.a.table"} {
		if _, ok := p.lines[path]; ok {
			t.Errorf("%q inside a string was indexed", path)
		}
	}
	// A path without a position falls back to its nearest ancestor.
	if got := p.line("timeline[1].groups[1][0]"); got != 24 {
		t.Errorf("fallback line = %d, want 24", got)
	}
}
