package checker

import (
	"container/heap"
	"fmt"
	"slices"
	"time"
)

// Linearizer checks linearizability while a history is being recorded, in
// memory that depends on the operations in flight and not on the length
// of the history (see incremental.go). Invoke an operation when its
// client calls, Complete it when the client learns its outcome, in time
// order; Result gives the verdict.
//
// Calls and completions must come in order of their times (Invoke for
// calls, Complete for completions). At equal times it makes no
// difference in which order they are reported: an operation invoked at
// the instant another returns counts as concurrent with it.
type Linearizer struct {
	lim limits
	// budget bounds porcupine's search of each key left to it.
	budget time.Duration
	// finished: Result was called; nothing more may be added.
	finished bool
	keys     map[string]*keyChecker
	// now is the latest time reported; done holds the completions at now,
	// handled once time moves on (after the calls at now).
	now  int64
	done []completion
	// ops counts the operations that matter to the verdict (see
	// LinearizabilityResult.Ops).
	ops int
}

type completion struct {
	ref OpRef
	op  *Operation
}

// OpRef names an invoked operation for Complete.
type OpRef struct {
	k    *keyChecker
	slot uint16
	call *Operation
}

// NewLinearizer returns a checker ready for the first call.
func NewLinearizer(opts LinearizabilityOptions) *Linearizer {
	budget := opts.Budget
	if budget <= 0 {
		budget = DefaultLinearizabilityBudget
	}
	return &Linearizer{lim: opts.limits(), budget: budget, keys: map[string]*keyChecker{}, now: -1 << 63}
}

func (l *Linearizer) key(k string) *keyChecker {
	kc := l.keys[k]
	if kc == nil {
		kc = newKeyChecker(k, &l.lim)
		l.keys[k] = kc
	}
	return kc
}

// advance moves the clock to t, first handling the completions at the
// old time.
func (l *Linearizer) advance(t int64, what string) error {
	if l.finished {
		return fmt.Errorf("checker: %s after the verdict was taken", what)
	}
	if t < l.now {
		return fmt.Errorf("%w: %s at %d, after an event at %d: events must come in time order", ErrInvalidHistory, what, t, l.now)
	}
	if t > l.now {
		l.flush()
		l.now = t
	}
	return nil
}

func (l *Linearizer) flush() {
	for _, c := range l.done {
		kind := kevReturn
		switch c.op.Outcome {
		case OutcomeFail:
			kind = kevFail
		case OutcomeUnknown:
			kind = kevGiveUp
		}
		c.ref.k.add(keyEvent{kind: kind, slot: c.ref.slot, op: c.op}, c.op.Complete)
	}
	clear(l.done)
	l.done = l.done[:0]
}

// Invoke reports a call: op's outcome and results are not known yet
// (Outcome is zero; Complete is ignored).
func (l *Linearizer) Invoke(op Operation) (OpRef, error) {
	if err := checkCall(op); err != nil {
		return OpRef{}, err
	}
	if err := l.advance(op.Invoke, "invocation"); err != nil {
		return OpRef{}, err
	}
	k := l.key(op.Key)
	call := &op
	slot := k.add(keyEvent{kind: kevCall, op: call}, op.Invoke)
	return OpRef{k: k, slot: slot, call: call}, nil
}

// Complete reports the outcome of an invoked operation: op is the call
// with its Outcome, Complete time and results filled in.
func (l *Linearizer) Complete(ref OpRef, op Operation) error {
	if ref.call == nil {
		return fmt.Errorf("%w: completion of an operation never invoked", ErrInvalidHistory)
	}
	c := ref.call
	if op.ClientID != c.ClientID || op.Seq != c.Seq || op.Kind != c.Kind || op.Key != c.Key ||
		op.Value != c.Value || op.Expected != c.Expected || op.Invoke != c.Invoke {
		return fmt.Errorf("%w: completion of %v differs from its call %v", ErrInvalidHistory, op, *c)
	}
	if field, problem := op.check(); problem != "" {
		return fmt.Errorf("%w: %v: %s: %s", ErrInvalidHistory, op, field, problem)
	}
	if err := l.advance(op.Complete, "completion"); err != nil {
		return err
	}
	if !inert(op) {
		l.ops++
		ref.k.counted = true
	}
	l.done = append(l.done, completion{ref: ref, op: &op})
	return nil
}

// invokeUnknown reports an operation recorded with an unknown outcome: it
// may take effect at any time from its invocation on.
func (l *Linearizer) invokeUnknown(op Operation) error {
	if err := l.advance(op.Invoke, "invocation"); err != nil {
		return err
	}
	if !inert(op) {
		l.ops++
		k := l.key(op.Key)
		k.counted = true
		k.add(keyEvent{kind: kevCallUnknown, op: &op}, op.Invoke)
	}
	return nil
}

// checkCall checks what a call carries: everything but the outcome and
// results.
func checkCall(op Operation) error {
	if op.Outcome != 0 {
		return fmt.Errorf("%w: %v: outcome: a call has none yet", ErrInvalidHistory, op)
	}
	probe := op
	probe.Outcome, probe.Complete = OutcomeFail, op.Invoke
	if field, problem := probe.check(); problem != "" {
		return fmt.Errorf("%w: %v: %s: %s", ErrInvalidHistory, op, field, problem)
	}
	return nil
}

// Result handles what is pending and returns the verdict: Illegal if some
// key cannot be linearized (Key is the first such key in key order), else
// Unknown if the check of some key ran out of its bounds, else OK. The
// keys whose search outgrew its bounds are checked by porcupine here, each
// within the budget. Operations still open count as unknown. Result ends
// the check: the Linearizer takes nothing more.
func (l *Linearizer) Result() LinearizabilityResult {
	l.flush()
	l.finished = true
	res := LinearizabilityResult{Ops: l.ops, Verdict: VerdictOK}
	names := make([]string, 0, len(l.keys))
	for name, k := range l.keys {
		if k.counted {
			res.Keys++
		}
		names = append(names, name)
	}
	slices.Sort(names)
	// A key proven illegal settles the verdict; otherwise porcupine
	// decides the keys left to it.
	var windows []*keyChecker
	illegal := false
	for _, name := range names {
		switch l.keys[name].status {
		case keyWindow:
			windows = append(windows, l.keys[name])
		case keyIllegal:
			illegal = true
		}
	}
	if !illegal {
		resolveWindows(windows, l.budget)
	}
	for _, name := range names {
		k := l.keys[name]
		switch {
		case k.status == keyIllegal && res.Verdict != VerdictIllegal:
			res.Verdict, res.Located, res.Key = VerdictIllegal, true, name
			if k.failed != nil {
				res.Failed = *k.failed
			}
			res.window = k.window
		case k.status == keyUnknown && res.Verdict == VerdictOK:
			res.Verdict, res.Reason = VerdictUnknown, k.reason
		}
	}
	if res.Verdict == VerdictIllegal {
		res.Reason = ""
	}
	return res
}

// feeder turns complete operations, given in invocation order, into the
// calls and completions of a Linearizer: a completion is reported when
// the next call comes later than it. Failed operations and unknown Gets
// are left out (they can explain nothing); other unknown operations are
// reported once, as calls whose outcome is already known.
type feeder struct {
	l       *Linearizer
	pending retHeap
	seq     uint64
}

func (f *feeder) add(op Operation) error {
	if inert(op) {
		return nil
	}
	if field, problem := op.check(); problem != "" {
		return fmt.Errorf("%w: %v: %s: %s", ErrInvalidHistory, op, field, problem)
	}
	if err := f.returnsBefore(op.Invoke); err != nil {
		return err
	}
	if op.Outcome == OutcomeUnknown {
		return f.l.invokeUnknown(op)
	}
	call := op
	call.Outcome, call.Complete = 0, 0
	call.Found, call.FoundUnknown, call.Output, call.Swapped = false, false, "", false
	ref, err := f.l.Invoke(call)
	if err != nil {
		return err
	}
	f.seq++
	heap.Push(&f.pending, pendingRet{ref: ref, op: op, seq: f.seq})
	return nil
}

// returnsBefore completes the operations that returned before t (at t
// they are still concurrent with a call at t).
func (f *feeder) returnsBefore(t int64) error {
	for f.pending.Len() > 0 && f.pending[0].op.Complete < t {
		r := heap.Pop(&f.pending).(pendingRet)
		if err := f.l.Complete(r.ref, r.op); err != nil {
			return err
		}
	}
	return nil
}

func (f *feeder) finish() error {
	for f.pending.Len() > 0 {
		r := heap.Pop(&f.pending).(pendingRet)
		if err := f.l.Complete(r.ref, r.op); err != nil {
			return err
		}
	}
	return nil
}

type pendingRet struct {
	ref OpRef
	op  Operation
	seq uint64
}

// retHeap orders pending returns by time, then by invocation order.
type retHeap []pendingRet

func (h retHeap) Len() int { return len(h) }
func (h retHeap) Less(i, j int) bool {
	if h[i].op.Complete != h[j].op.Complete {
		return h[i].op.Complete < h[j].op.Complete
	}
	return h[i].seq < h[j].seq
}
func (h retHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *retHeap) Push(x any)   { *h = append(*h, x.(pendingRet)) }
func (h *retHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
