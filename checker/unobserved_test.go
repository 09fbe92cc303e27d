package checker

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"
)

func TestUnobservedMarksOnlyUnreadUnknownAppends(t *testing.T) {
	ops := []Operation{
		{ClientID: 1, Kind: OpAppend, Key: "k", Value: "[a]", Invoke: 0, Complete: 5, Outcome: OutcomeUnknown}, // never read: out
		{ClientID: 2, Kind: OpAppend, Key: "k", Value: "[b]", Invoke: 0, Complete: 5, Outcome: OutcomeUnknown}, // read below: kept
		{ClientID: 3, Kind: OpAppend, Key: "k", Value: "[c]", Invoke: 0, Complete: 5, Outcome: OutcomeOK},      // known: kept
		{ClientID: 4, Kind: OpAppend, Key: "k", Value: "", Invoke: 0, Complete: 5, Outcome: OutcomeUnknown},    // creates the key: kept
		{ClientID: 5, Kind: OpGet, Key: "k", Invoke: 6, Complete: 7, Outcome: OutcomeOK, Found: true, Output: "[c][b]"},
		{ClientID: 6, Kind: OpAppend, Key: "x", Value: "[d]", Invoke: 0, Complete: 5, Outcome: OutcomeUnknown}, // a CAS reads x: kept
		{ClientID: 7, Kind: OpCAS, Key: "x", Expected: "[d]", Value: "e", Invoke: 6, Complete: 7, Outcome: OutcomeOK},
	}
	got := unobserved(ops)
	want := []bool{true, false, false, false, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("op %d (%v): unobserved %v, want %v", i, ops[i], got[i], want[i])
		}
	}
}

// Leaving the unobserved appends out never changes a verdict: on random
// small histories of one key, with values that are substrings of each
// other, the pruned check agrees with porcupine on the whole history.
func TestUnobservedPruningKeepsVerdicts(t *testing.T) {
	values := []string{"", "a", "b", "ab", "ba"}
	rapid.Check(t, func(t *rapid.T) {
		var ops []Operation
		withCAS := rapid.Bool().Draw(t, "cas")
		kinds := []OpKind{OpGet, OpPut, OpAppend, OpAppend, OpDelete}
		if withCAS {
			kinds = append(kinds, OpCAS)
		}
		for i := range rapid.IntRange(1, 7).Draw(t, "n") {
			op := Operation{ClientID: uint64(i + 1), Key: "k", Kind: rapid.SampledFrom(kinds).Draw(t, "kind")}
			op.Invoke = rapid.Int64Range(0, 20).Draw(t, "invoke")
			op.Complete = op.Invoke + rapid.Int64Range(0, 10).Draw(t, "len")
			op.Outcome = rapid.SampledFrom([]Outcome{OutcomeOK, OutcomeOK, OutcomeUnknown, OutcomeFail}).Draw(t, "outcome")
			switch op.Kind {
			case OpPut, OpAppend:
				op.Value = rapid.SampledFrom(values).Draw(t, "value")
			case OpCAS:
				op.Expected = rapid.SampledFrom(values).Draw(t, "expected")
				op.Value = rapid.SampledFrom(values).Draw(t, "value")
				op.Swapped = op.Outcome == OutcomeOK && rapid.Bool().Draw(t, "swapped")
			case OpGet:
				if op.Outcome == OutcomeOK {
					op.Found = rapid.Bool().Draw(t, "found")
					if op.Found {
						op.Output = rapid.SampledFrom(append(values, "", "aab", "bab")).Draw(t, "output")
					}
				}
			}
			ops = append(ops, op)
		}
		whole := porcupine.CheckOperations(kvModel(), porcupineOps(ops, nil))
		res, err := CheckLinearizable(History{Ops: ops}, LinearizabilityOptions{Budget: testBudget})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Verdict == VerdictOK; got != whole {
			t.Fatalf("pruned verdict %v, whole history linearizable: %v\n%v", res.Verdict, whole, ops)
		}
	})
}
