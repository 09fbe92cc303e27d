package scenarios

import (
	"strings"
	"testing"

	"github.com/raftsim/raftsim/sim"
)

// Durations beyond what virtual time holds, and liveness bounds the run
// would end before, are input errors naming file, line and field. Before,
// "2000000h" gave an empty run reported as a pass, durations near the
// maximum panicked inside the simulator, and a bound past the healing
// phase was never checked.
func TestParseRejectsImpossibleDurations(t *testing.T) {
	const base = "nodes = 3\nduration = \"3s\"\n"
	cases := []struct{ name, text, prefix, msg string }{
		{"run past virtual time", "nodes = 3\nduration = \"2000000h\"\n", "x.toml:2: duration: ", "longer than the longest virtual duration, 1000h"},
		{"phases past virtual time", base + "heal_duration = \"1000h\"\n", "x.toml:2: duration: ", "longer than the longest virtual duration"},
		{"think", base + "[workload]\nthink = \"2000000h\"\n", "x.toml:4: workload.think: ", "beyond the longest virtual duration"},
		{"latency", base + "[workload]\nlatency = \"2000000h\"\n", "x.toml:4: workload.latency: ", "beyond"},
		{"deadline", base + "[workload]\ndeadline = \"2000000h\"\n", "x.toml:4: workload.deadline: ", "beyond"},
		{"disk sync", base + "[disk]\nsync = \"1ms..2000000h\"\n", "x.toml:4: disk.sync: ", "beyond"},
		{"network delay", base + "[network]\ndelay = \"1ms..2000000h\"\n", "x.toml:4: network.delay: ", "<= 24h0m0s"},
		{"tick interval", base + "[raft]\ntick_interval = \"2000000h\"\n", "x.toml:4: raft.tick_interval: ", "beyond"},
		{"leader_within", base + "[liveness]\nleader_within = \"2000000h\"\n", "x.toml:4: liveness.leader_within: ", "beyond"},
		{"jump", base + "[[timeline]]\nat = \"1s\"\naction = \"clock_jump\"\nnodes = [1]\njump = \"2000000h\"\n", "x.toml:7: timeline[0].jump: ", "beyond"},
		{"jumps adding up", base + strings.Repeat("[[timeline]]\nat = \"1s\"\naction = \"clock_jump\"\nnodes = [1]\njump = \"600h\"\n", 1) +
			"[[timeline]]\nat = \"2s\"\naction = \"clock_jump\"\nnodes = [1]\njump = \"-600h\"\n", "x.toml:12: timeline[1].jump: ", "add up to 1200h"},
		{"link delay", base + "[[timeline]]\nat = \"1s\"\naction = \"link\"\ndelay = \"2000000h\"\n", "x.toml:6: timeline[0].delay: ", "<= 24h0m0s"},
		{"restart_after", base + "[[timeline]]\nat = \"1s\"\naction = \"crash_new_leaders\"\nuntil = \"2s\"\nrestart_after = \"2000000h\"\n", "x.toml:7: timeline[0].restart_after: ", "beyond"},
		{"wait within", base + "[[timeline]]\nat = \"1s\"\nwait = \"leader\"\nwithin = \"2562047h\"\n", "x.toml:6: timeline[0].within: ", "beyond"},
		{"sleep", base + "[[timeline]]\nat = \"1s\"\nsleep = \"1s..2562047h\"\n", "x.toml:5: timeline[0].sleep: ", "beyond"},
		{"after", base + "[[timeline]]\nat = \"1s\"\nsleep = \"1s\"\n[[timeline]]\nafter = \"1ms..2562047h\"\naction = \"heal\"\n", "x.toml:7: timeline[1].after: ", "beyond"},
		{"nemesis within", base + "[[timeline]]\nat = \"1s\"\naction = \"crash_new_leaders\"\nuntil = \"2s\"\nwithin = \"2000000h\"\nrestart_after = \"1s\"\n", "x.toml:7: timeline[0].within: ", "beyond"},
		{"reconnect_after", base + "[[timeline]]\nat = \"1s\"\naction = \"isolate_new_leaders\"\nuntil = \"2s\"\nreconnect_after = \"1s..2000000h\"\n", "x.toml:7: timeline[0].reconnect_after: ", "beyond"},
		{"check within", base + "[[check]]\nprogress_within = \"2562047h\"\nfrom = \"1s\"\n", "x.toml:4: check[0].progress_within: ", "beyond"},
		{"check from a named moment", base + "[[timeline]]\nat = \"1s\"\nwait = \"leader\"\nwithin = \"1s\"\nas = \"x\"\n[[check]]\nno_leader = true\nfrom = \"x+2562047h\"\n",
			"x.toml:10: check[0].from: ", "after the end of the run"},
		// The README's first example had this shape: liveness never ran.
		{"liveness past the healing phase", "nodes = 3\nduration = \"1s\"\nheal_duration = \"1s\"\n[raft]\ntick_interval = \"1h\"\n",
			"x.toml:3: heal_duration: ", "1s is shorter than liveness.leader_within (3s): the run would end before checking it"},
		{"progress past the healing phase", base + "heal_duration = \"5s\"\n", "x.toml:3: heal_duration: ", "shorter than liveness.progress_within (8s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(tc.text))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.text)
			}
			if !strings.HasPrefix(err.Error(), tc.prefix) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Parse: %v\nwant prefix %q and %q", err, tc.prefix, tc.msg)
			}
		})
	}
}

// With a healing phase long enough to hold the bounds, the cluster that
// never elects a leader (a tick of an hour) fails liveness instead of
// passing without a check.
func TestLivenessIsCheckedWhenTheHealingPhaseHoldsIt(t *testing.T) {
	s, err := Parse("x.toml", []byte("nodes = 3\nduration = \"1s\"\nheal_duration = \"8s\"\n[raft]\ntick_interval = \"1h\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !res.LivenessChecked || len(res.Failures) == 0 || res.Failures[0].Kind != sim.FailureLiveness || res.Failures[0].Name != "leader-after-heal" {
		t.Fatalf("liveness checked %v, failures %v; want liveness/leader-after-heal", res.LivenessChecked, res.Failures)
	}
	s.Config.HealDuration = 0
	if res, err = sim.Run(s.Config); err != nil || res.LivenessChecked || !res.Passed() {
		t.Fatalf("with no healing phase: %v, checked %v, failures %v; want a run that says it checked no liveness", err, res.LivenessChecked, res.Failures)
	}
}
