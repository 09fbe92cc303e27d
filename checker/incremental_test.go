package checker

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The incremental check against the whole-history ones: porcupine over
// every operation at once, and the brute-force definition.

// drawCutHistory draws a history of one or two keys in phases separated
// by gaps in which nothing is open, so that the incremental check cuts
// between them, with operations of unknown outcome whose windows reach
// across the cuts, and values that are substrings of each other.
func drawCutHistory(t *rapid.T, maxOps int) History {
	values := []string{"a", "b", "ab", "ba", ""}
	outputs := []string{"", "a", "b", "ab", "ba", "aa", "bab", "abab", "c"}
	var ops []Operation
	n := rapid.IntRange(1, maxOps).Draw(t, "n")
	phase := int64(0)
	for i := range n {
		if rapid.IntRange(0, 3).Draw(t, "new phase") == 0 {
			phase += 100
		}
		op := Operation{
			ClientID: uint64(i + 1), Seq: 1,
			Kind:    OpKind(rapid.IntRange(int(OpGet), int(OpCAS)).Draw(t, "kind")),
			Key:     rapid.SampledFrom([]string{"x", "x", "x", "y"}).Draw(t, "key"),
			Invoke:  phase + rapid.Int64Range(0, 8).Draw(t, "invoke"),
			Outcome: rapid.SampledFrom([]Outcome{OutcomeOK, OutcomeOK, OutcomeOK, OutcomeUnknown, OutcomeFail}).Draw(t, "outcome"),
		}
		op.Complete = op.Invoke + rapid.Int64Range(0, 6).Draw(t, "length")
		switch op.Kind {
		case OpPut, OpAppend:
			op.Value = rapid.SampledFrom(values).Draw(t, "value")
		case OpCAS:
			op.Expected = rapid.SampledFrom(values).Draw(t, "expected")
			op.Value = rapid.SampledFrom(values).Draw(t, "value")
		}
		if op.Outcome == OutcomeOK {
			switch op.Kind {
			case OpGet:
				switch rapid.IntRange(0, 5).Draw(t, "read") {
				case 0:
				case 1:
					op.FoundUnknown, op.Output = true, rapid.SampledFrom(outputs).Draw(t, "output")
				default:
					op.Found, op.Output = true, rapid.SampledFrom(outputs).Draw(t, "output")
				}
			case OpCAS:
				op.Swapped = rapid.Bool().Draw(t, "swapped")
			}
		}
		ops = append(ops, op)
	}
	slices.SortStableFunc(ops, func(a, b Operation) int { return cmp.Compare(a.Invoke, b.Invoke) })
	return History{Ops: ops}
}

// streamVerdict checks h the way the simulator does: each call reported
// when it happens, its outcome only at completion, in time order, with
// the events of equal times in an order rapid draws.
func streamVerdict(t *rapid.T, h History, opts LinearizabilityOptions) LinearizabilityResult {
	type event struct {
		at   int64
		call bool
		i    int
		tie  int
	}
	var evs []event
	for i, op := range h.Ops {
		evs = append(evs, event{at: op.Invoke, call: true, i: i}, event{at: op.Complete, i: i})
	}
	for i := range evs {
		evs[i].tie = rapid.IntRange(0, 3).Draw(t, "tie")
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		// An operation's call comes before its own completion.
		if a.i == b.i {
			if a.call {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.tie, b.tie)
	})
	l := NewLinearizer(opts)
	refs := make([]OpRef, len(h.Ops))
	for _, ev := range evs {
		op := h.Ops[ev.i]
		var err error
		if ev.call {
			call := op
			call.Outcome, call.Complete = 0, 0
			call.Found, call.FoundUnknown, call.Output, call.Swapped = false, false, "", false
			refs[ev.i], err = l.Invoke(call)
		} else {
			err = l.Complete(refs[ev.i], op)
		}
		if err != nil {
			t.Fatalf("streaming %v: %v", op, err)
		}
	}
	return l.Result()
}

// TestIncrementalMatchesWholeHistory is the property that makes the cuts
// safe: on random histories with unknown outcomes and many points where
// nothing is open, the incremental check (fed whole, and fed as a stream
// with outcomes learned at completion) gives the verdict of porcupine
// over the whole history and, on small ones, of the definition.
func TestIncrementalMatchesWholeHistory(t *testing.T) {
	var seen [VerdictUnknown + 1]int
	rapid.Check(t, func(t *rapid.T) {
		h := drawCutHistory(t, 14)
		want := porcupineVerdict(h, testBudget)
		if want == VerdictUnknown {
			t.Skip("porcupine ran out of budget")
		}
		if len(h.Ops) <= 8 {
			if ref := referenceLinearizable(h.Ops); (want == VerdictOK) != ref {
				t.Fatalf("porcupine says %v, the definition says %v", want, ref)
			}
		}
		res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != want {
			t.Fatalf("incremental %v, whole history %v\n%s", res, want, showOps(h.Ops))
		}
		if s := streamVerdict(t, h, LinearizabilityOptions{Budget: testBudget}); s.Verdict != want {
			t.Fatalf("streamed %v, whole history %v\n%s", s, want, showOps(h.Ops))
		}
		seen[want]++
	})
	t.Logf("legal %d illegal %d", seen[VerdictOK], seen[VerdictIllegal])
	total := seen[VerdictOK] + seen[VerdictIllegal]
	if seen[VerdictOK]*10 < total || seen[VerdictIllegal]*10 < total {
		t.Errorf("random histories too one-sided: %d legal, %d illegal", seen[VerdictOK], seen[VerdictIllegal])
	}
}

// TestIncrementalBoundsNeverLie checks histories with bounds so small
// that they are hit all the time: a replay window of a few events, a
// handful of configurations, which leave keys to porcupine or undecided.
// The verdict may become Unknown, never the wrong one. Half the histories
// are those above; half are generated ones with many clients on few keys
// (where keys fall back to porcupine and come back), with one read
// corrupted half the time.
func TestIncrementalBoundsNeverLie(t *testing.T) {
	var unknown, total int
	rapid.Check(t, func(t *rapid.T) {
		var h History
		if rapid.Bool().Draw(t, "generated") {
			h = genLinearizable(genConfig{
				seed:           rapid.Uint64().Draw(t, "seed"),
				ops:            rapid.IntRange(1, 80).Draw(t, "ops"),
				clients:        rapid.IntRange(1, 8).Draw(t, "clients"),
				keys:           rapid.IntRange(1, 2).Draw(t, "keys"),
				unknownPer1000: rapid.IntRange(0, 100).Draw(t, "unknownPer1000"),
				failPer1000:    rapid.IntRange(0, 50).Draw(t, "failPer1000"),
			})
			if i := rapid.IntRange(-len(h.Ops), len(h.Ops)-1).Draw(t, "corrupt"); i >= 0 && h.Ops[i].Kind == OpGet && h.Ops[i].Outcome == OutcomeOK {
				h.Ops[i].Found, h.Ops[i].FoundUnknown, h.Ops[i].Output = true, false, "never written"
			}
		} else {
			h = drawCutHistory(t, 14)
		}
		want := porcupineVerdict(h, 5*time.Second)
		if want == VerdictUnknown {
			t.Skip("porcupine ran out of budget")
		}
		opts := LinearizabilityOptions{
			Budget:       testBudget,
			ReplayWindow: rapid.IntRange(1, 40).Draw(t, "replay window"),
			MaxConfigs:   rapid.IntRange(1, 4).Draw(t, "configs"),
			MaxExplore:   rapid.IntRange(1, 16).Draw(t, "explore"),
		}
		res, err := CheckLinearizable(h, opts)
		if err != nil {
			t.Fatal(err)
		}
		total++
		if res.Verdict == VerdictUnknown {
			unknown++
			return
		}
		if res.Verdict != want {
			t.Fatalf("with bounds %+v: %v, whole history %v\n%s", opts, res, want, showOps(h.Ops))
		}
	})
	t.Logf("%d of %d undecided", unknown, total)
}

// TestIncrementalAgainstMutatedHistories starts from generated
// linearizable histories with unknown outcomes and adds, after a cut, a
// write and then a read of a value the history had already shown: legal
// only if an operation that may still take effect writes it again. A cut
// that forgot which unknown operations were used up, or that dropped the
// state, would pass them all.
func TestIncrementalAgainstMutatedHistories(t *testing.T) {
	var seen [VerdictUnknown + 1]int
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig{
			seed:           rapid.Uint64().Draw(t, "seed"),
			ops:            rapid.IntRange(1, 40).Draw(t, "ops"),
			clients:        rapid.IntRange(1, 4).Draw(t, "clients"),
			keys:           rapid.IntRange(1, 2).Draw(t, "keys"),
			unknownPer1000: rapid.IntRange(0, 250).Draw(t, "unknownPer1000"),
			failPer1000:    rapid.IntRange(0, 100).Draw(t, "failPer1000"),
		}
		h := genLinearizable(cfg)
		var reads []Operation
		end := int64(0)
		for _, op := range h.Ops {
			end = max(end, op.Complete)
			if op.Kind == OpGet && op.Outcome == OutcomeOK && op.Found {
				reads = append(reads, op)
			}
		}
		if len(reads) > 0 {
			r := reads[rapid.IntRange(0, len(reads)-1).Draw(t, "read")]
			after := end + 1000 + rapid.Int64Range(0, 1000).Draw(t, "gap")
			h.Ops = append(h.Ops,
				okPut(99, r.Key, "fresh", after, after+10),
				Operation{ClientID: 99, Seq: 2, Kind: OpGet, Key: r.Key, Invoke: after + 20, Complete: after + 30, Outcome: OutcomeOK, Found: true, Output: r.Output})
		}
		want := porcupineVerdict(h, 2*time.Second)
		if want == VerdictUnknown {
			t.Skip("porcupine ran out of budget")
		}
		res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != want {
			t.Fatalf("incremental %v, whole history %v; reproduce with genConfig%+v", res, want, cfg)
		}
		seen[want]++
	})
	t.Logf("legal %d illegal %d", seen[VerdictOK], seen[VerdictIllegal])
	if seen[VerdictIllegal] == 0 {
		t.Error("no mutated history was illegal")
	}
}

func showOps(ops []Operation) string {
	var b []byte
	for _, op := range ops {
		b = fmt.Appendf(b, "  %s %v\n", op.Key, op)
	}
	return string(b)
}

// TestIncrementalHandBuilt are histories whose verdict hangs on what a
// cut carries: each illegal one passes if a cut forgets a used unknown
// operation, the state, or an open operation; each legal one fails if a
// cut drops an unknown operation that may still take effect.
func TestIncrementalHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		h    History
		want Verdict
	}{
		{"state carried over a cut", numbered(
			okPut(1, "x", "a", 0, 10),
			okGet(2, "x", "b", 100, 110)), VerdictIllegal},
		{"an unknown put takes effect long after", numbered(
			unknown(okPut(1, "x", "b", 0, 10)),
			okPut(2, "x", "a", 100, 110),
			okGet(2, "x", "a", 200, 210),
			okGet(2, "x", "b", 10000, 10010)), VerdictOK},
		{"an unknown put takes effect only once", numbered(
			unknown(okPut(1, "x", "b", 0, 10)),
			okGet(2, "x", "b", 100, 110),
			okPut(2, "x", "a", 200, 210),
			okGet(2, "x", "b", 300, 310)), VerdictIllegal},
		{"two unknown puts of one value take effect twice", numbered(
			unknown(okPut(1, "x", "b", 0, 10)),
			unknown(okPut(3, "x", "b", 0, 10)),
			okGet(2, "x", "b", 100, 110),
			okPut(2, "x", "a", 200, 210),
			okGet(2, "x", "b", 300, 310)), VerdictOK},
		{"an unread unknown append goes before a later append", numbered(
			unknown(okAppend(1, "x", "u", 0, 10)),
			okAppend(2, "x", "k", 100, 110),
			okGet(2, "x", "uk", 200, 210)), VerdictOK},
		{"an unread unknown append goes after a later append", numbered(
			unknown(okAppend(1, "x", "u", 0, 10)),
			okAppend(2, "x", "k", 100, 110),
			okGet(2, "x", "ku", 200, 210)), VerdictOK},
		{"an unknown append is not applied twice", numbered(
			unknown(okAppend(1, "x", "u", 0, 10)),
			okAppend(2, "x", "k", 100, 110),
			okGet(2, "x", "uku", 200, 210)), VerdictIllegal},
		{"an unknown append before its invocation", numbered(
			okAppend(2, "x", "k", 0, 10),
			unknown(okAppend(1, "x", "u", 100, 110)),
			okGet(2, "x", "uk", 200, 210)), VerdictIllegal},
		{"an unread unknown put explains a failed cas", numbered(
			okPut(2, "x", "a", 0, 10),
			unknown(okPut(1, "x", "b", 20, 30)),
			okCAS(2, "x", "a", "c", false, 100, 110)), VerdictOK},
		{"one unread unknown put explains one failed cas", numbered(
			okPut(2, "x", "a", 0, 10),
			unknown(okPut(1, "x", "b", 20, 30)),
			okCAS(2, "x", "a", "c", false, 100, 110),
			okPut(2, "x", "a", 200, 210),
			okCAS(2, "x", "a", "c", false, 300, 310)), VerdictIllegal},
		{"two unread unknown puts explain two failed cas", numbered(
			okPut(2, "x", "a", 0, 10),
			unknown(okPut(1, "x", "b", 20, 30)),
			unknown(okPut(3, "x", "d", 20, 30)),
			okCAS(2, "x", "a", "c", false, 100, 110),
			okPut(2, "x", "a", 200, 210),
			okCAS(2, "x", "a", "c", false, 300, 310)), VerdictOK},
		{"a cas expects what an unknown append makes", numbered(
			okCAS(1, "x", "ab", "", true, 0, 0),
			unknown(okAppend(2, "x", "ab", 0, 0))), VerdictOK},
		{"a cas open across the unknown append it needs", numbered(
			okPut(3, "x", "a", 0, 5),
			okCAS(1, "x", "au", "w", true, 10, 100),
			unknown(okAppend(2, "x", "u", 20, 30)),
			okGet(3, "x", "w", 40, 50)), VerdictOK},
		{"an open put spans the cut", numbered(
			okPut(1, "x", "a", 0, 1000),
			okGetMissing(2, "x", 100, 110),
			okGet(2, "x", "a", 200, 210),
			okGetMissing(2, "x", 300, 310)), VerdictIllegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ref := referenceLinearizable(tt.h.Ops); ref != (tt.want == VerdictOK) {
				t.Fatalf("the definition says %v, the test wants %v", ref, tt.want)
			}
			res := check(t, tt.h)
			if res.Verdict != tt.want {
				t.Fatalf("got %v, want %v", res, tt.want)
			}
			if tt.want == VerdictIllegal && (!res.Located || res.Key != "x") {
				t.Fatalf("illegal but not located at x: %v", res)
			}
		})
	}
}

// TestLateEvidenceIsUnknown checks that an unknown operation whose effect
// is seen only after its replay window has passed can no longer make the
// key illegal (its earlier placements are lost), while it can still be
// placed from then on.
func TestLateEvidenceIsUnknown(t *testing.T) {
	ops := []Operation{unknown(okAppend(1, "x", "u", 0, 10))}
	for i := range 20 {
		at := int64(100 + 100*i)
		ops = append(ops, okPut(2, "x", "p", at, at+10), okGet(3, "x", "p", at+20, at+30))
	}
	late := func(read string) History {
		return numbered(append(slices.Clone(ops), okAppend(2, "x", "k", 5000, 5010), okGet(3, "x", read, 5100, 5110))...)
	}
	small := LinearizabilityOptions{ReplayWindow: 8}
	for _, tt := range []struct {
		read        string
		exact, late Verdict
	}{
		{"pku", VerdictOK, VerdictOK},            // u placed from now on: found
		{"puk", VerdictOK, VerdictUnknown},       // u placed before k: lost with the window
		{"pkuu", VerdictIllegal, VerdictUnknown}, // illegal, but no longer provably so
	} {
		h := late(tt.read)
		if res := check(t, h); res.Verdict != tt.exact {
			t.Errorf("%s with the default window: %v, want %v", tt.read, res, tt.exact)
		}
		res, err := CheckLinearizable(h, small)
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != tt.late {
			t.Errorf("%s with a window of 8 events: %v, want %v", tt.read, res, tt.late)
		}
	}
}

// TestIncrementalBoundsSweep runs the comparison of
// TestIncrementalBoundsNeverLie over a fixed sweep of generated histories
// of many clients on one key, where operations stay open across the
// points the check falls back to porcupine and comes back, so that a
// window that forgets what an open read saw before it began fails every
// time, not once in thousands of random draws.
func TestIncrementalBoundsSweep(t *testing.T) {
	undecided := 0
	for seed := range uint64(1500) {
		h := genLinearizable(genConfig{seed: seed, ops: 40, clients: 6, keys: 1, unknownPer1000: 50, failPer1000: 20})
		want := porcupineVerdict(h, 5*time.Second)
		opts := LinearizabilityOptions{Budget: testBudget, ReplayWindow: 20 + int(seed%100), MaxConfigs: 1 + int(seed%3), MaxExplore: 1 + int(seed%7)}
		res, err := CheckLinearizable(h, opts)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Verdict == VerdictUnknown || want == VerdictUnknown:
			undecided++
		case res.Verdict != want:
			t.Fatalf("seed %d with bounds %+v: %v, whole history %v\n%s", seed, opts, res, want, showOps(h.Ops))
		}
	}
	t.Logf("%d of 1500 undecided", undecided)
}

// TestManyOpenOperations checks a key with more operations open at once
// than the search takes (a burst of proposals): the key is left to
// porcupine, which finds the order a read shows; that read makes the
// state certain, and the key's search resumes from it (and finds what
// follows illegal where it is).
func TestManyOpenOperations(t *testing.T) {
	var ops []Operation
	want := ""
	for i := range 100 {
		v := fmt.Sprintf("[%d]", i)
		want += v
		ops = append(ops, okAppend(uint64(i+1), "p", v, int64(i), 1000+int64(i)))
	}
	ops = append(ops, okGet(200, "p", want, 2000, 2010), okPut(200, "p", "x", 2020, 2030))
	legal := numbered(append(slices.Clone(ops), okGet(200, "p", "x", 2040, 2050))...)
	if res := check(t, legal); res.Verdict != VerdictOK {
		t.Fatalf("a burst of 100 appends, read in order: %v", res)
	}
	illegal := numbered(append(slices.Clone(ops), okGet(200, "p", want, 2040, 2050))...)
	res := check(t, illegal)
	if res.Verdict != VerdictIllegal || res.Key != "p" || res.Failed.Invoke != 2040 {
		t.Fatalf("a burst, then a stale read after a put: %v", res)
	}
}
