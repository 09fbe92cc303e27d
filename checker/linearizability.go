package checker

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultLinearizabilityBudget is the search budget when the options leave
// it zero. Linearizability checking is NP-complete, so every check has a
// budget; a check that exhausts it reports VerdictUnknown.
const DefaultLinearizabilityBudget = time.Minute

// LinearizabilityOptions tune [CheckLinearizable]. The zero value is ready
// to use.
type LinearizabilityOptions struct {
	// Budget is the wall-clock time porcupine may search for a
	// linearization, DefaultLinearizabilityBudget if zero. It is the one
	// place wall time enters a verdict: a loaded machine can turn OK into
	// Unknown, never into Illegal.
	Budget time.Duration
}

// LinearizabilityResult is the verdict of [CheckLinearizable] and, when it
// is Illegal, the key at fault.
type LinearizabilityResult struct {
	Verdict Verdict
	// Located is set on an Illegal verdict once Key is known. It stays
	// false only if the search for the key ran out of budget.
	Located bool
	// Key is a key whose operations cannot be linearized. The store is
	// linearizable iff each key is, so the operations on Key alone are a
	// complete counterexample. Of the keys porcupine proves illegal within
	// the smallest budget that proves any, Key is the first in key order:
	// the same from run to run unless machine load shifts that budget.
	Key string
	// Ops counts the operations checked: failed operations and Gets with
	// unknown outcome are left out, having neither observed nor changed
	// anything. Keys counts the distinct keys among them.
	Ops, Keys int

	// The counterexample, kept for WriteVisualization.
	info    porcupine.LinearizationInfo
	clients []uint64
}

func (r LinearizabilityResult) String() string {
	switch {
	case r.Verdict == VerdictIllegal && r.Located:
		return fmt.Sprintf("illegal: key %s has no linearization (%s checked)", showValue(r.Key), r.counts())
	case r.Verdict == VerdictUnknown:
		return fmt.Sprintf("unknown: the search ran out of budget (%s)", r.counts())
	}
	return fmt.Sprintf("%s (%s)", r.Verdict, r.counts())
}

// counts spells "N operations on K keys", singular where a count is 1.
func (r LinearizabilityResult) counts() string {
	ops, keys := "operations", "keys"
	if r.Ops == 1 {
		ops = "operation"
	}
	if r.Keys == 1 {
		keys = "key"
	}
	return fmt.Sprintf("%d %s on %d %s", r.Ops, ops, r.Keys, keys)
}

// CheckLinearizable tells whether h is linearizable with respect to the
// key-value store described on [OpKind]. Operations with an unknown
// outcome may take effect at any time after their invocation, or never.
// It returns an error wrapping ErrInvalidHistory if h breaks the rules of
// [Operation]; the verdict is then meaningless.
//
// The verdict is searched for over all keys at once, within the budget.
// If it is Illegal, the key at fault is then searched for, which can take
// up to about twice the budget per key in the worst case, and its
// counterexample is kept for [LinearizabilityResult.WriteVisualization].
func CheckLinearizable(h History, opts LinearizabilityOptions) (LinearizabilityResult, error) {
	if err := h.validate(); err != nil {
		return LinearizabilityResult{}, err
	}
	budget := opts.Budget
	if budget < 0 {
		return LinearizabilityResult{}, fmt.Errorf("checker: negative linearizability budget %v", budget)
	}
	if budget == 0 {
		budget = DefaultLinearizabilityBudget
	}
	keys, byKey := groupByKey(h.Ops)
	model := kvModel()
	all := toPorcupine(h.Ops)
	res := LinearizabilityResult{Ops: len(all), Keys: len(keys)}
	// With one key the located search below is the whole search.
	if len(keys) > 1 {
		switch porcupine.CheckOperationsTimeout(model, all, budget) {
		case porcupine.Ok:
			res.Verdict = VerdictOK
			return res, nil
		case porcupine.Unknown:
			res.Verdict = VerdictUnknown
			return res, nil
		}
	}
	return locate(model, res, keys, byKey, budget), nil
}

// firstRoundBudget is the budget of locate's first round. Most illegal
// keys are proven so within milliseconds while a linearizable key can keep
// porcupine busy for the whole budget; checking keys one at a time with
// the full budget could spend it all on the first key.
const firstRoundBudget = time.Millisecond

// locate finds the key at fault. It is reached when the history as a whole
// is Illegal, or has at most one key (then its verdict is the key's). It
// checks the undecided keys, in key order, in rounds whose budget doubles
// up to the full budget, and stops at the first key proven Illegal.
func locate(model porcupine.Model, res LinearizabilityResult, keys []string, byKey map[string][]Operation,
	budget time.Duration) LinearizabilityResult {
	round := min(firstRoundBudget, budget)
	if len(keys) <= 1 {
		round = budget
	}
	undecided := keys
	for {
		var next []string
		for _, k := range undecided {
			ops := byKey[k]
			verdict, info := porcupine.CheckOperationsVerbose(model, toPorcupine(ops), round)
			switch verdict {
			case porcupine.Illegal:
				res.Verdict, res.Located, res.Key = VerdictIllegal, true, k
				res.info, res.clients = info, clientsOf(ops)
				return res
			case porcupine.Unknown:
				next = append(next, k)
			}
		}
		undecided = next
		if len(undecided) == 0 || round >= budget {
			break
		}
		round = min(2*round, budget)
	}
	switch {
	case len(keys) <= 1 && len(undecided) > 0:
		res.Verdict = VerdictUnknown
	case len(keys) <= 1:
		res.Verdict = VerdictOK
	case len(undecided) > 0:
		// The search over all keys proved the history illegal; the key at
		// fault is among those that ran out of budget.
		res.Verdict = VerdictIllegal
	default:
		// A history is linearizable iff every key's sub-history is
		// (linearizability is local), so this cannot happen.
		panic(fmt.Sprintf("checker: history of %d operations on %d keys is illegal as a whole but every key is linearizable", res.Ops, res.Keys))
	}
	return res
}

// groupByKey returns the keys of the operations that reach porcupine, in
// order, and those operations grouped by key.
func groupByKey(ops []Operation) ([]string, map[string][]Operation) {
	byKey := map[string][]Operation{}
	for _, op := range ops {
		if inert(op) {
			continue
		}
		byKey[op.Key] = append(byKey[op.Key], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, byKey
}

func clientsOf(ops []Operation) []uint64 {
	clients := make([]uint64, 0, len(ops))
	for _, op := range ops {
		clients = append(clients, op.ClientID)
	}
	slices.Sort(clients)
	return slices.Compact(clients)
}

// ErrNoCounterexample is returned by WriteVisualization for a result that
// holds no counterexample: any verdict but a located Illegal.
var ErrNoCounterexample = errors.New("checker: no counterexample to visualize")

// WriteVisualization writes porcupine's interactive HTML view of the
// counterexample to path: the operations on the offending key only, with
// the longest partial linearizations porcupine found, and the given
// annotations on rows of their own.
func (r LinearizabilityResult) WriteVisualization(path string, annotations []Annotation) error {
	if r.Verdict != VerdictIllegal || !r.Located {
		return fmt.Errorf("%w (verdict %v)", ErrNoCounterexample, r.Verdict)
	}
	info := r.info
	info.AddAnnotations(toPorcupineAnnotations(annotations, r.clients))
	if err := porcupine.VisualizePath(kvModel(), info, path); err != nil {
		return fmt.Errorf("checker: writing visualization %s: %w", path, err)
	}
	return nil
}
