package checker

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultLinearizabilityBudget is the wall-clock budget of the search for
// the counterexample that WriteVisualization draws, when the options
// leave it zero.
const DefaultLinearizabilityBudget = time.Minute

// The default bounds of the check (see LinearizabilityOptions).
const (
	DefaultMaxConfigs   = 1 << 8
	DefaultMaxExplore   = 1 << 12
	DefaultReplayWindow = 1 << 15
)

// LinearizabilityOptions tune [CheckLinearizable] and [Linearizer]. The
// zero value is ready to use.
//
// The check is bounded by counts, not by time, so that its verdict is a
// function of the history alone: reaching a bound makes the verdict
// Unknown (never OK), with the bound named in Reason.
type LinearizabilityOptions struct {
	// Budget is the wall-clock time porcupine may spend finding the
	// counterexample WriteVisualization draws, DefaultLinearizabilityBudget
	// if zero. It plays no part in the verdict.
	Budget time.Duration
	// MaxConfigs bounds the configurations a key may have after an event
	// (DefaultMaxConfigs if zero): the ways its history so far can be
	// linearized that differ in what matters for the rest.
	MaxConfigs int
	// MaxExplore bounds the configurations one step may explore
	// (DefaultMaxExplore if zero).
	MaxExplore int
	// ReplayWindow is how many events of a key's history are kept while
	// an unknown operation no read has shown yet might be woken (see
	// incremental.go); DefaultReplayWindow if zero. One seen later than
	// that can no longer prove the key illegal.
	ReplayWindow int
}

func (o LinearizabilityOptions) limits() limits {
	l := limits{configs: o.MaxConfigs, explore: o.MaxExplore, log: o.ReplayWindow, budget: o.Budget}
	if l.budget <= 0 {
		l.budget = DefaultLinearizabilityBudget
	}
	if l.configs <= 0 {
		l.configs = DefaultMaxConfigs
	}
	if l.explore <= 0 {
		l.explore = DefaultMaxExplore
	}
	if l.log <= 0 {
		l.log = DefaultReplayWindow
	}
	return l
}

// LinearizabilityResult is the verdict of [CheckLinearizable] and, when it
// is Illegal, the key at fault.
type LinearizabilityResult struct {
	Verdict Verdict
	// Located is set on an Illegal verdict: Key is known.
	Located bool
	// Key is the first key, in key order, whose operations cannot be
	// linearized. The store is linearizable iff each key is, so the
	// operations on Key alone are a complete counterexample.
	Key string
	// Failed is the operation on Key whose result no linearization of the
	// history before it explains.
	Failed Operation
	// Reason says which bound an Unknown verdict ran into.
	Reason string
	// Ops counts the operations checked: failed operations and Gets with
	// unknown outcome are left out, having neither observed nor changed
	// anything. Keys counts the distinct keys among them.
	Ops, Keys int

	// window is the counterexample, kept for WriteVisualization, and
	// budget the time porcupine may take to draw it.
	window *illegalWindow
	budget time.Duration
}

func (r LinearizabilityResult) String() string {
	switch {
	case r.Verdict == VerdictIllegal && r.Located && r.Failed.Kind != 0:
		return fmt.Sprintf("illegal: key %s has no linearization (%s checked); nothing explains %s by client %d at %d",
			showValue(r.Key), r.counts(), describeCall(r.Failed), r.Failed.ClientID, r.Failed.Complete)
	case r.Verdict == VerdictIllegal && r.Located:
		return fmt.Sprintf("illegal: key %s has no linearization (%s checked)", showValue(r.Key), r.counts())
	case r.Verdict == VerdictUnknown:
		return fmt.Sprintf("unknown: the check reached a bound (%s): %s", r.counts(), r.Reason)
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
// It runs the incremental check (a [Linearizer]) over h in invocation
// order.
func CheckLinearizable(h History, opts LinearizabilityOptions) (LinearizabilityResult, error) {
	if err := h.validate(); err != nil {
		return LinearizabilityResult{}, err
	}
	if opts.Budget < 0 {
		return LinearizabilityResult{}, fmt.Errorf("checker: negative linearizability budget %v", opts.Budget)
	}
	ops := slices.Clone(h.Ops)
	slices.SortStableFunc(ops, func(a, b Operation) int { return cmp.Compare(a.Invoke, b.Invoke) })
	l := NewLinearizer(opts)
	f := feeder{l: l}
	for _, op := range ops {
		if err := f.add(op); err != nil {
			return LinearizabilityResult{}, err
		}
	}
	if err := f.finish(); err != nil {
		return LinearizabilityResult{}, err
	}
	res := l.Result()
	res.budget = opts.Budget
	return res, nil
}

// ErrNoCounterexample is returned by WriteVisualization for a result that
// holds no counterexample: any verdict but a located Illegal, or one whose
// window of history was no longer kept.
var ErrNoCounterexample = errors.New("checker: no counterexample to visualize")

// WriteVisualization writes porcupine's interactive HTML view of the
// counterexample to path: the operations on the offending key from the
// last point where its state was certain, with the longest partial
// linearizations porcupine found, and the given annotations on rows of
// their own.
func (r LinearizabilityResult) WriteVisualization(path string, annotations []Annotation) error {
	if r.Verdict != VerdictIllegal || !r.Located || r.window == nil {
		return fmt.Errorf("%w (verdict %v)", ErrNoCounterexample, r.Verdict)
	}
	budget := r.budget
	if budget == 0 {
		budget = DefaultLinearizabilityBudget
	}
	w := r.window
	model := kvModelFrom(map[string]kvState{r.Key: w.init})
	ops := porcupineOps(w.ops, unobserved(w.ops))
	verdict, info := porcupine.CheckOperationsVerbose(model, ops, budget)
	if verdict != porcupine.Illegal {
		return fmt.Errorf("%w: porcupine's search of the window of key %s ended %v", ErrNoCounterexample, showValue(r.Key), verdict)
	}
	info.AddAnnotations(toPorcupineAnnotations(annotations, clientsOf(w.ops)))
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return fmt.Errorf("checker: writing visualization %s: %w", path, err)
	}
	return nil
}

// resolveWindows checks the keys whose search outgrew its bounds with
// porcupine, each over its history from fullFrom (see settle): first
// all at once within the budget (porcupine stops at the first illegal
// key), then, if some key is illegal, the keys in rounds of doubling
// budget, as the search for one key can take the whole budget while
// another is proven illegal in a millisecond. It returns the first key
// in key order among those proven illegal in the first round that
// proves any, or nil.
func resolveWindows(keys []*keyChecker, budget time.Duration) *keyChecker {
	if len(keys) == 0 {
		return nil
	}
	windows := make([]*illegalWindow, len(keys))
	inits := map[string]kvState{}
	var all []Operation
	for i, k := range keys {
		windows[i] = k.windowOps(k.fullFrom)
		inits[k.key] = windows[i].init
		all = append(all, windows[i].ops...)
	}
	model := kvModelFrom(inits)
	if len(keys) > 1 {
		switch porcupine.CheckOperationsTimeout(model, porcupineOps(all, unobserved(all)), budget) {
		case porcupine.Ok:
			for _, k := range keys {
				k.status = keyOK
				k.release()
			}
			return nil
		case porcupine.Unknown:
			for i, k := range keys {
				k.windowUnknown(len(windows[i].ops), budget)
			}
			return nil
		}
	}
	round := min(firstRoundBudget, budget)
	if len(keys) == 1 {
		round = budget
	}
	undecided := keys
	for {
		var next []*keyChecker
		var found *keyChecker
		for _, k := range undecided {
			w := windows[slices.Index(keys, k)]
			switch porcupine.CheckOperationsTimeout(model, porcupineOps(w.ops, unobserved(w.ops)), round) {
			case porcupine.Ok:
				k.status = keyOK
				k.release()
			case porcupine.Illegal:
				k.status, k.window = keyIllegal, w
				k.release()
				if found == nil {
					found = k
				}
			default:
				next = append(next, k)
			}
		}
		undecided = next
		if found != nil || len(undecided) == 0 || round >= budget {
			for _, k := range undecided {
				k.windowUnknown(len(windows[slices.Index(keys, k)].ops), budget)
			}
			return found
		}
		round = min(2*round, budget)
	}
}

// firstRoundBudget is the budget of resolveWindows' first round by key.
const firstRoundBudget = time.Millisecond

func (k *keyChecker) windowUnknown(ops int, budget time.Duration) {
	k.status = keyUnknown
	k.reason = fmt.Sprintf("key %s: %s, and porcupine's search of its %d operations since its state was last certain ran out of its budget of %v",
		showValue(k.key), k.reason, ops, budget)
	k.release()
}

func clientsOf(ops []Operation) []uint64 {
	clients := make([]uint64, 0, len(ops))
	for _, op := range ops {
		clients = append(clients, op.ClientID)
	}
	slices.Sort(clients)
	return slices.Compact(clients)
}
