package checker

import (
	"fmt"
	"math"
	"slices"

	"github.com/anishathalye/porcupine"
)

// This file is what happens to a key whose search outgrew its bounds (a
// burst of concurrent appends, say, whose possible orders no read has
// settled yet): from its last certain state on, its events are only
// logged, as a window of history that porcupine searches (depth first,
// where the incremental check keeps every configuration). When a read
// makes the key's state certain again, porcupine checks the window; if
// it is linearizable, the key starts over from that state.

// illegalWindow is the part of an illegal key's history that the
// visualization shows: the operations from the last point where the key's
// past was a single state (init), with the unknown operations that could
// still take effect then, to the operation no linearization explains.
// Checked from init, it is illegal exactly when the key is.
type illegalWindow struct {
	init kvState
	ops  []Operation
}

// illegalWindow builds the window ending at the last event in the log,
// or returns nil if no checkpoint with a single state is in the log.
func (k *keyChecker) illegalWindow() *illegalWindow {
	for i := len(k.ckpts) - 1; i >= 0; i-- {
		if k.ckpts[i].state.anchored() {
			return k.windowOps(&k.ckpts[i])
		}
	}
	return nil
}

// windowOps builds the window from checkpoint ck, which must be
// anchored, to the last event in the log. Operations open at the end
// count as unknown: they may or may not have taken effect yet.
func (k *keyChecker) windowOps(ck *checkpoint) *illegalWindow {
	st := &ck.state
	c := &st.configs[0]
	w := &illegalWindow{init: kvState{present: c.st.present, value: c.st.value}}
	unknownAt := func(op Operation) Operation {
		op.Invoke, op.Complete, op.Outcome = ck.at, ck.at, OutcomeUnknown
		op.Found, op.FoundUnknown, op.Output, op.Swapped = false, false, "", false
		return op
	}
	for _, id := range st.classIDs {
		cl := st.classes[id]
		for range cl.total - countIn(c.used, id) {
			w.ops = append(w.ops, unknownAt(cl.op))
		}
	}
	for _, d := range k.dormant[:st.dormantLen] {
		w.ops = append(w.ops, unknownAt(Operation{Kind: d.kind, Key: k.key, Value: d.value}))
	}
	// open maps a slot to its operation's index in w.ops.
	open := map[uint16]int{}
	for j := range maxOpen {
		if st.openMask&(1<<j) != 0 {
			open[uint16(j)] = len(w.ops)
			w.ops = append(w.ops, *st.slots[j])
		}
	}
	dropped := map[int]bool{}
	for p := ck.pos; p < k.base+len(k.log); p++ {
		ev := k.event(p)
		switch ev.kind {
		case kevCall:
			open[ev.slot] = len(w.ops)
			w.ops = append(w.ops, *ev.op)
		case kevCallUnknown:
			w.ops = append(w.ops, *ev.op)
		case kevReturn, kevGiveUp:
			w.ops[open[ev.slot]] = *ev.op
			delete(open, ev.slot)
		case kevFail:
			dropped[open[ev.slot]] = true
			delete(open, ev.slot)
		}
	}
	// Still open at the end: placed or not. (A map's order does not
	// matter: each is changed in place.)
	for _, i := range open {
		inv := w.ops[i].Invoke
		w.ops[i] = unknownAt(w.ops[i])
		w.ops[i].Invoke = inv
	}
	kept := w.ops[:0]
	for i, op := range w.ops {
		if !dropped[i] && !inert(op) {
			kept = append(kept, op)
		}
	}
	w.ops = kept
	return w
}

// addToWindow logs an event of a window-mode key, keeping only the slot
// bookkeeping.
func (k *keyChecker) addToWindow(ev keyEvent, at int64) uint16 {
	k.log = append(k.log, ev)
	k.at = append(k.at, at)
	k.lastAt = at
	e := &k.log[len(k.log)-1]
	k.book(e)
	slot := e.slot
	if e.kind == kevReturn {
		op := e.op
		if writes(op) {
			k.writesDone = max(k.writesDone, op.Complete)
		} else if st, ok := certainRead(op); ok && !k.anyOpen() && k.writesDone < op.Invoke {
			k.settle(st)
			return slot
		}
	}
	if n := k.base + len(k.log) - k.windowFrom.pos; n > k.lim.log {
		k.outgrown()
		return 0
	}
	return slot
}

// writes tells whether an OK operation changed the state.
func writes(op *Operation) bool {
	return op.Kind == OpPut || op.Kind == OpAppend || op.Kind == OpDelete || op.Kind == OpCAS && op.Swapped
}

// certainRead returns the state an OK Get read, unless it cannot tell an
// empty value from a missing key.
func certainRead(op *Operation) (regState, bool) {
	if op.Kind != OpGet || op.FoundUnknown && op.Output == "" {
		return regState{}, false
	}
	return regState{present: op.Found || op.FoundUnknown, value: op.Output}, true
}

// settle is called when the read that just returned makes the key's
// state certain: nothing is open, and every write of the window completed
// before the read began, so in every linearization of the window the read
// comes after every write and the state is what it read. (Unknown
// operations are set aside: they are optional.) Porcupine then checks the
// window without them: if it is linearizable so, the key starts over from
// that state with every unknown operation still to come (a linearization
// that used none of them is one that leaves them all). If it is not,
// some of them were needed, or the key is illegal; which of them were
// used cannot be told, so the window goes on, and porcupine checks it
// with them once, at the end (resolveWindows) or when it outgrows its
// bound (outgrown). Checking it with them here too would only tell
// illegal sooner, at the cost of a search with unknown operations at
// every certain read.
func (k *keyChecker) settle(st regState) {
	w := k.windowOps(k.windowFrom)
	var known, unknowns []Operation
	for _, op := range w.ops {
		if op.Outcome == OutcomeUnknown {
			unknowns = append(unknowns, op)
		} else {
			known = append(known, op)
		}
	}
	model := kvModelFrom(map[string]kvState{k.key: w.init})
	switch porcupine.CheckOperationsTimeout(model, porcupineOps(known, nil), k.lim.budget) {
	case porcupine.Ok:
		k.restart(st, unknowns)
	case porcupine.Unknown:
		k.windowUnknown(len(known), k.lim.budget)
	}
}

// outgrown ends the check of a key whose window outgrew lim.log events:
// illegal if porcupine proves its window from fullFrom so, else unknown.
func (k *keyChecker) outgrown() {
	reason := fmt.Sprintf("key %s: %s, and its history since its state was last certain outgrew %d events", showValue(k.key), k.reason, k.lim.log)
	w := k.windowOps(k.fullFrom)
	model := kvModelFrom(map[string]kvState{k.key: w.init})
	if porcupine.CheckOperationsTimeout(model, porcupineOps(w.ops, unobserved(w.ops)), k.lim.budget) == porcupine.Illegal {
		k.status, k.window = keyIllegal, w
		k.release()
		return
	}
	k.setUnknown(reason)
}

// carriesUnknown tells whether a window from the anchored checkpoint
// starts with unknown operations that may still take effect: each is
// called at the checkpoint in the window (see windowOps).
//
// Why it matters: porcupine may place each unknown operation anywhere
// after its call, and its depth-first search tries the operations in
// order of call. Unknown operations all called at the start of a window
// are tried first at every step, and when the window needed some of
// them, the search backtracks through their every subset: on the jepsen
// etcd register history etcd_002 (17 unknown operations in a window of
// 31), 3.7 s against 0.26 s for the same operations from the key's
// initial state, where each unknown operation is called where it was.
// The verdicts are the same: an anchored checkpoint is a single state,
// and its unknown operations are exactly those the history before it
// leaves open.
func (ck *checkpoint) carriesUnknown() bool {
	st := &ck.state
	if st.dormantLen > 0 {
		return true
	}
	c := &st.configs[0]
	for _, id := range st.classIDs {
		if st.classes[id].total > countIn(c.used, id) {
			return true
		}
	}
	return false
}

// restart makes the key an ordinary one again, in the certain state st,
// with the unknown operations that may still take effect. Those that
// start dormant do so at the next event, where a replay that wakes one
// starts.
func (k *keyChecker) restart(st regState, unknowns []Operation) {
	end := k.base + len(k.log)
	k.keyState = keyState{configs: []config{{st: st}}, classes: map[uint32]*uclass{}, classOf: map[classKey]uint32{}}
	k.dormant = k.dormant[:0]
	var dormant []*Operation
	for i := range unknowns {
		op := &unknowns[i]
		if (op.Kind == OpPut || op.Kind == OpAppend) && op.Value != "" {
			dormant = append(dormant, op)
			continue
		}
		k.classes[k.classFor(op)].total++
	}
	for _, op := range dormant {
		if k.isDormant(op) {
			k.addDormant(end, op)
		} else {
			k.classes[k.classFor(op)].total++
		}
	}
	k.status, k.reason, k.windowFrom, k.fullFrom = keyOK, "", nil, nil
	k.log, k.at, k.base = nil, nil, end
	k.ckpts = []checkpoint{{pos: end, at: k.lastAt, state: k.keyState.clone()}}
}

// book does a window-mode key's slot bookkeeping for one event: the
// lowest free slot, past maxOpen as many as the operations in flight.
func (k *keyChecker) book(e *keyEvent) {
	switch e.kind {
	case kevCall:
		if k.openMask != ^uint64(0) {
			e.slot = uint16(k.open(e.op))
			return
		}
		i := slices.Index(k.extra, nil)
		if i < 0 {
			if len(k.extra) == maxWindowOpen-maxOpen {
				k.setUnknown(fmt.Sprintf("key %s: more than %d operations open at once", showValue(k.key), maxWindowOpen))
				return
			}
			i = len(k.extra)
			k.extra = append(k.extra, nil)
		}
		k.extra[i] = e.op
		e.slot = uint16(maxOpen + i)
	case kevReturn, kevFail, kevGiveUp:
		if e.slot < maxOpen {
			k.slots[e.slot], k.openMask = nil, k.openMask&^(1<<e.slot)
			return
		}
		k.extra[e.slot-maxOpen] = nil
		for len(k.extra) > 0 && k.extra[len(k.extra)-1] == nil {
			k.extra = k.extra[:len(k.extra)-1]
		}
	}
}

// maxWindowOpen bounds the operations open at once on a window-mode key.
const maxWindowOpen = 1 << 16

// open reports whether any operation is open on the key.
func (s *keyState) anyOpen() bool { return s.openMask != 0 || len(s.extra) > 0 }

// overflow is called when the search of a key outgrows a bound: the key
// is left to porcupine, from its last certain state on.
func (k *keyChecker) overflow(reason string) {
	var ck *checkpoint
	for i := len(k.ckpts) - 1; i >= 0 && ck == nil; i-- {
		if k.ckpts[i].state.anchored() {
			ck = &k.ckpts[i]
		}
	}
	if ck == nil {
		k.setUnknown(reason + ", and no certain state of the key is left to start porcupine from")
		return
	}
	k.status, k.reason, k.windowFrom, k.fullFrom = keyWindow, reason, ck, ck
	for i := len(k.ckpts) - 1; i >= 0; i-- {
		if c := &k.ckpts[i]; c.pos <= ck.pos && c.state.anchored() && !c.carriesUnknown() {
			k.fullFrom = c
			break
		}
	}
	k.writesDone = math.MinInt64
	// The slots are redone from the checkpoint over the whole log: a
	// replay may have stopped anywhere in it.
	k.keyState = ck.state.clone()
	k.configs = nil
	for p := ck.pos; p < k.base+len(k.log) && k.status == keyWindow; p++ {
		k.book(k.event(p))
	}
}
