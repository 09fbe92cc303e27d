package scenarios

import (
	"fmt"

	"github.com/raftsim/raftsim/sim"
)

// Repeat blocks: a [[timeline]] table with repeat = N and its steps,
//
//	[[timeline]]
//	repeat = 1000
//	[[timeline.steps]]
//	after = "0ms..13ms"
//	action = "crash"
//	leader = true
//
// runs its steps N times in a row. Steps follow one another (after, never
// at), so each repetition starts where the previous one ended. The block
// is unrolled when the file is read: the simulator sees the steps N
// times, each labelled with its place in the file (or its own label) and
// its repetition, and a reproducer holds them unrolled, labels kept.

// maxTimelineEntries bounds a timeline, repeat blocks unrolled.
const maxTimelineEntries = 100_000

// repeatKeys are the keys of a repeat block.
var repeatKeys = []string{"repeat", "steps"}

func decodeTimeline(root *table, cfg *sim.Config) []sim.Action {
	entries := root.tables("timeline")
	if len(entries) == 0 {
		return nil
	}
	out := make([]sim.Action, 0, len(entries))
	st := newTimelineState(cfg.Nodes)
	if cfg.Voters != 0 {
		st.members.voters = cfg.Voters
	}
	clk := clockState{relative: -1}
	for _, t := range entries {
		if !t.has("repeat") && !t.has("steps") {
			a, ok := decodeEntry(t, cfg, &clk, len(out))
			if !ok || !stepEntry(t, st, len(out), &a, "") {
				return nil
			}
			out = append(out, a)
			continue
		}
		var ok bool
		if out, ok = unrollRepeat(t, cfg, &clk, st, out); !ok {
			return nil
		}
	}
	return out
}

// stepEntry checks entry i against the timeline so far, naming the
// repetition in the message when there is one.
func stepEntry(t *table, st *timelineState, i int, a *sim.Action, rep string) bool {
	if field, msg := st.step(i, a); msg != "" {
		t.fail(field, "%s%s", msg, rep)
		return false
	}
	return true
}

// unrollRepeat appends the repetitions of block t to out.
func unrollRepeat(t *table, cfg *sim.Config, clk *clockState, st *timelineState, out []sim.Action) ([]sim.Action, bool) {
	var n int64
	if !t.integer("repeat", 1, maxTimelineEntries, &n) {
		if t.d.ok() {
			t.fail("repeat", "missing: a block with steps repeats them repeat = N times")
		}
		return out, false
	}
	steps := t.tables("steps")
	if !t.d.ok() {
		return out, false
	}
	if len(steps) == 0 {
		t.fail("steps", "missing: a repeat block needs [[timeline.steps]]")
		return out, false
	}
	for _, k := range sortedKeys(t.m) {
		if k != "repeat" && k != "steps" {
			t.fail(k, "a repeat block takes only repeat and its [[timeline.steps]]")
			return out, false
		}
	}
	if total := len(out) + int(n)*len(steps); total > maxTimelineEntries {
		t.fail("repeat", "%d repetitions of %d steps make %d entries, more than %d", n, len(steps), total, maxTimelineEntries)
		return out, false
	}
	for _, step := range steps {
		if step.has("repeat") || step.has("steps") {
			step.fail("repeat", "repeat blocks do not nest")
			return out, false
		}
		if step.has("at") {
			step.fail("at", "the steps of a repeat block follow one another: use after")
			return out, false
		}
	}
	for r := range int(n) {
		for _, step := range steps {
			// A fresh view of the step's table each time: decoding marks
			// the keys it reads.
			view := &table{d: step.d, path: step.path, m: step.m, used: map[string]bool{}}
			a, ok := decodeEntry(view, cfg, clk, len(out))
			if !ok {
				return out, false
			}
			if a.Label == "" {
				a.Label = step.path
			}
			a.Label = fmt.Sprintf("%s (repetition %d)", a.Label, r+1)
			if !stepEntry(view, st, len(out), &a, fmt.Sprintf(" (repetition %d)", r+1)) {
				return out, false
			}
			out = append(out, a)
		}
	}
	return out, true
}
