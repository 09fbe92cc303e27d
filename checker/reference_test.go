package checker

import (
	"testing"

	"pgregory.net/rapid"
)

// referenceLinearizable decides linearizability by brute force, straight
// from the definition, for histories small enough to enumerate: is there
// an order of the operations, respecting real time, in which a plain map
// gives every OK operation its recorded results? Failed operations are
// left out; operations with an unknown outcome may be left out or placed
// anywhere after their invocation.
func referenceLinearizable(ops []Operation) bool {
	var live []Operation
	for _, op := range ops {
		if op.Outcome != OutcomeFail {
			live = append(live, op)
		}
	}
	// mustFollow[i][j]: i cannot be placed before j, because j completed
	// (with a known outcome) before i was invoked.
	mustFollow := make([][]bool, len(live))
	for i, a := range live {
		mustFollow[i] = make([]bool, len(live))
		for j, b := range live {
			mustFollow[i][j] = b.Outcome == OutcomeOK && b.Complete < a.Invoke
		}
	}
	placed := make([]bool, len(live))
	var search func(store map[string]string) bool
	search = func(store map[string]string) bool {
		done := true
		for i, op := range live {
			if !placed[i] && op.Outcome == OutcomeOK {
				done = false
			}
		}
		if done {
			return true
		}
		for i, op := range live {
			if placed[i] || !predecessorsPlaced(mustFollow[i], placed) {
				continue
			}
			next, ok := referenceApply(store, op)
			if !ok {
				continue
			}
			placed[i] = true
			found := search(next)
			placed[i] = false
			if found {
				return true
			}
		}
		return false
	}
	return search(map[string]string{})
}

func predecessorsPlaced(mustFollow, placed []bool) bool {
	for j, must := range mustFollow {
		if must && !placed[j] {
			return false
		}
	}
	return true
}

// referenceApply runs op on a copy of store and tells whether its recorded
// results (if its outcome is known) match.
func referenceApply(store map[string]string, op Operation) (map[string]string, bool) {
	next := map[string]string{}
	for k, v := range store {
		next[k] = v
	}
	cur, present := store[op.Key]
	known := op.Outcome == OutcomeOK
	switch op.Kind {
	case OpGet:
		if !known {
			return next, true
		}
		if op.FoundUnknown {
			return next, op.Output == cur
		}
		return next, op.Found == present && op.Output == cur
	case OpPut:
		next[op.Key] = op.Value
	case OpAppend:
		next[op.Key] = cur + op.Value
	case OpDelete:
		delete(next, op.Key)
	case OpCAS:
		swap := present && cur == op.Expected
		if swap {
			next[op.Key] = op.Value
		}
		if known && op.Swapped != swap {
			return nil, false
		}
	}
	return next, true
}

// drawSmallOperation draws any valid operation over a tiny domain of keys,
// values and times, so that random histories are often legal and often
// not.
func drawSmallOperation(t *rapid.T, label string) Operation {
	values := rapid.SampledFrom([]string{"", "a", "b"})
	op := Operation{
		ClientID: rapid.Uint64Range(1, 4).Draw(t, label+".client"),
		Kind:     OpKind(rapid.IntRange(int(OpGet), int(OpCAS)).Draw(t, label+".kind")),
		Key:      rapid.SampledFrom([]string{"x", "y"}).Draw(t, label+".key"),
		Invoke:   rapid.Int64Range(0, 12).Draw(t, label+".invoke"),
		Outcome:  Outcome(rapid.IntRange(int(OutcomeOK), int(OutcomeUnknown)).Draw(t, label+".outcome")),
	}
	op.Complete = op.Invoke + rapid.Int64Range(0, 6).Draw(t, label+".duration")
	switch op.Kind {
	case OpPut, OpAppend:
		op.Value = values.Draw(t, label+".value")
	case OpCAS:
		op.Expected = values.Draw(t, label+".expected")
		op.Value = values.Draw(t, label+".value")
	}
	if op.Outcome != OutcomeOK {
		return op
	}
	switch op.Kind {
	case OpGet:
		switch rapid.IntRange(0, 4).Draw(t, label+".read") {
		case 0:
			// not found
		case 1:
			op.FoundUnknown, op.Output = true, values.Draw(t, label+".output")
		default:
			op.Found, op.Output = true, rapid.SampledFrom([]string{"", "a", "b", "ab", "ba", "aa"}).Draw(t, label+".output")
		}
	case OpCAS:
		op.Swapped = rapid.Bool().Draw(t, label+".swapped")
	}
	return op
}

// TestLinearizabilityAgainstReference compares the porcupine model with
// the brute-force definition on random small histories.
func TestLinearizabilityAgainstReference(t *testing.T) {
	var seen [VerdictUnknown + 1]int
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 7).Draw(t, "n")
		var h History
		for i := range n {
			h.Ops = append(h.Ops, drawSmallOperation(t, "op"+string(rune('0'+i))))
		}
		res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		if err != nil {
			t.Fatalf("CheckLinearizable: %v", err)
		}
		want := VerdictIllegal
		if referenceLinearizable(h.Ops) {
			want = VerdictOK
		}
		if res.Verdict != want {
			t.Fatalf("porcupine says %v, the definition says %v", res.Verdict, want)
		}
		seen[want]++
	})
	t.Logf("legal %d illegal %d", seen[VerdictOK], seen[VerdictIllegal])
	// Both answers must be common, or the comparison proves little. (Over
	// many runs each is at least a fifth of the cases.)
	total := seen[VerdictOK] + seen[VerdictIllegal]
	if seen[VerdictOK]*20 < total || seen[VerdictIllegal]*20 < total {
		t.Errorf("random histories too one-sided: %d legal, %d illegal", seen[VerdictOK], seen[VerdictIllegal])
	}
}
