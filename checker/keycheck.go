package checker

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// keyEventKind is what happened to one operation on a key.
type keyEventKind uint8

const (
	// kevCall: an operation was invoked; its outcome is not known yet.
	kevCall keyEventKind = iota + 1
	// kevCallUnknown: an operation was invoked whose outcome is known to
	// be unknown (a recorded history): it is an unknown operation at once.
	kevCallUnknown
	// kevReturn: the open operation in slot returned OK with op's results.
	kevReturn
	// kevFail: the open operation in slot did not take effect.
	kevFail
	// kevGiveUp: the client of the open operation in slot gave up.
	kevGiveUp
)

// keyEvent is one entry of a key's event log, which replays read again.
type keyEvent struct {
	kind keyEventKind
	// slot is the call's slot, given when the call is processed: below
	// maxOpen while the key is searched, any while it is a window.
	slot uint16
	// op is the operation: as invoked for calls, with its results for
	// returns.
	op *Operation
}

// uclass is a class of active unknown operations with the same effect:
// any of them may take effect, each at most once, at any later time.
type uclass struct {
	op Operation
	// total counts the operations in the class; a configuration has
	// total - (times the class is in its used multiset) left.
	total uint32
}

type classKey struct {
	kind            OpKind
	value, expected string
}

// dormantOp is an unknown put or append that no read has shown (see
// incremental.go). start is the log position of the event that made it
// unknown, where a replay that wakes it begins.
type dormantOp struct {
	kind  OpKind
	value string
	start int
}

// keyState is what a replay restores: everything about a key but its log.
type keyState struct {
	configs []config
	// slots[j] is the open operation in slot j, if openMask has bit j.
	// A window-mode key (window.go) puts the operations past maxOpen in
	// extra, slot maxOpen+i in extra[i].
	slots    [maxOpen]*Operation
	openMask uint64
	extra    []*Operation
	// classes holds the active unknown operations by class ID; classIDs
	// lists the live IDs in order.
	classes     map[uint32]*uclass
	classIDs    []uint32
	classOf     map[classKey]uint32
	nextClassID uint32
	// dormant[:dormantLen] are the dormant operations so far; those woken
	// since are skipped by the evidence check through woken.
	dormantLen   int
	dormantCount uint32
}

func (s *keyState) clone() keyState {
	c := *s
	c.extra = slices.Clone(s.extra)
	c.classes = make(map[uint32]*uclass, len(s.classes))
	for id, cl := range s.classes {
		cp := *cl
		c.classes[id] = &cp
	}
	c.classIDs = slices.Clone(s.classIDs)
	c.classOf = make(map[classKey]uint32, len(s.classOf))
	for k, v := range s.classOf {
		c.classOf[k] = v
	}
	return c
}

// checkpoint is a key's state just before the event at pos.
type checkpoint struct {
	pos int
	// at is the time of that event, for the visualization window.
	at    int64
	state keyState
}

// maxOpen bounds the operations open at once on one key.
const maxOpen = 64

type keyStatus uint8

const (
	// keyOK: checked so far, and linearizable.
	keyOK keyStatus = iota
	// keyWindow: the search outgrew its bounds, so the key's history from
	// its last certain state (windowFrom) is kept and handed to porcupine
	// at the end.
	keyWindow
	keyIllegal
	keyUnknown
)

// keyChecker checks one key's history incrementally.
type keyChecker struct {
	key  string
	lim  *limits
	srch *searcher
	keyState
	// log holds the events from position base on: what a replay reads
	// again, and what an illegal verdict shows.
	log  []keyEvent
	at   []int64
	base int
	// lastAt is the time of the last event added.
	lastAt int64
	// ckpts are the checkpoints in log order: one per dormant operation
	// that a replay may have to start from, and anchors (see trim).
	ckpts []checkpoint
	// dormant holds every dormant operation so far, woken or not.
	dormant []dormantOp
	// woken holds the values read evidence has woken: an operation with
	// one of them is active from its start.
	woken map[classKey]bool
	// incomplete: a dormant operation woke after its replay window was
	// gone, so the check can no longer prove the key illegal.
	incomplete bool
	// counted: the key has operations that matter to the verdict.
	counted bool

	status keyStatus
	reason string
	// windowFrom is the checkpoint a window-mode key starts from;
	// writesDone the latest completion of a write in its window.
	windowFrom *checkpoint
	// Invariant: for a window-mode key, fullFrom is the latest anchored
	// checkpoint at or before windowFrom that carries no unknown
	// operation (carriesUnknown), or windowFrom if none is left.
	// Porcupine's search of a window with unknown operations starts there
	// (see settle).
	fullFrom   *checkpoint
	writesDone int64
	// failed is the operation no configuration could explain.
	failed *Operation
	// window is the history shown for an illegal key.
	window *illegalWindow
}

// limits are the bounds of the check; see LinearizabilityOptions.
type limits struct {
	configs, explore, log int
	budget                time.Duration
}

func newKeyChecker(key string, lim *limits) *keyChecker {
	k := &keyChecker{key: key, lim: lim, woken: map[classKey]bool{}}
	k.configs = []config{{}}
	k.classes = map[uint32]*uclass{}
	k.classOf = map[classKey]uint32{}
	k.srch = newSearcher(k)
	k.ckpts = []checkpoint{{pos: 0, state: k.keyState.clone()}}
	return k
}

// add appends an event to the log and processes it (and, when evidence
// wakes a dormant operation, the log again from its start). It returns
// the slot a call was given.
func (k *keyChecker) add(ev keyEvent, at int64) uint16 {
	if k.status == keyWindow {
		return k.addToWindow(ev, at)
	}
	if k.status != keyOK {
		return 0
	}
	k.log = append(k.log, ev)
	k.at = append(k.at, at)
	k.lastAt = at
	added := k.base + len(k.log) - 1
	p := added
	for p < k.base+len(k.log) && k.status == keyOK {
		if restart, ok := k.process(p); ok {
			p++
		} else {
			p = restart
		}
	}
	if k.status == keyWindow {
		return k.event(added).slot
	}
	if k.status != keyOK {
		return 0
	}
	slot := k.event(added).slot
	k.trim()
	return slot
}

// event returns the event at log position p.
func (k *keyChecker) event(p int) *keyEvent { return &k.log[p-k.base] }

// process handles the event at p. If evidence woke a dormant operation
// whose start is still in the log, it restores the state before that
// start and returns it with ok=false: the caller goes on from there.
func (k *keyChecker) process(p int) (restart int, ok bool) {
	ev := k.event(p)
	op := ev.op
	switch {
	case ev.kind == kevCall || ev.kind == kevCallUnknown:
		if op.Kind == OpCAS {
			if r, woke := k.evidence(p, op.Expected); woke {
				return r, false
			}
		}
		if ev.kind == kevCallUnknown {
			k.addUnknown(p, op)
			return 0, true
		}
		if k.openMask == ^uint64(0) {
			// The overflow gives this call its slot, past maxOpen.
			k.overflow(fmt.Sprintf("more than %d operations open at once", maxOpen))
			return 0, true
		}
		ev.slot = uint16(k.open(op))
	case ev.kind == kevReturn:
		if op.Kind == OpGet {
			if r, woke := k.evidence(p, op.Output); woke {
				return r, false
			}
		}
		k.ret(uint8(ev.slot), op)
	case ev.kind == kevFail:
		k.closeSlot(uint8(ev.slot), func(c *config) (config, bool) { return *c, c.lin&(1<<ev.slot) == 0 })
	case ev.kind == kevGiveUp:
		k.giveUp(p, uint8(ev.slot))
	}
	return 0, true
}

// open gives an invoked operation the lowest free slot, of which there
// must be one. Slots depend only on the calls and returns, so a replay
// gives every call the same one.
func (k *keyChecker) open(op *Operation) uint8 {
	j := uint8(bits.TrailingZeros64(^k.openMask))
	k.slots[j] = op
	k.openMask |= 1 << j
	if k.status == keyOK && (op.Kind == OpGet || op.Kind == OpCAS) {
		next := make([]config, len(k.configs))
		for i := range k.configs {
			next[i] = k.configs[i].observer(j, op)
		}
		k.configs = next
	}
	return j
}

// ret handles an OK return: the step of the search.
func (k *keyChecker) ret(j uint8, op *Operation) {
	next, ok := k.srch.step(k.configs, j, op, k.lim.explore)
	if !ok {
		k.overflow(fmt.Sprintf("placing %s explored more than %d configurations", describeCall(*op), k.lim.explore))
		return
	}
	k.slots[j], k.openMask = nil, k.openMask&^(1<<j)
	k.setConfigs(prune(next), op)
}

// closeSlot frees slot j, mapping every configuration through f (which
// drops it by returning false).
func (k *keyChecker) closeSlot(j uint8, f func(*config) (config, bool)) {
	next := make([]config, 0, len(k.configs))
	for i := range k.configs {
		if c, keep := f(&k.configs[i]); keep {
			next = append(next, c.drop(j))
		}
	}
	k.slots[j], k.openMask = nil, k.openMask&^(1<<j)
	k.setConfigs(prune(dedup(next)), nil)
}

// giveUp handles a client giving up on the open operation in slot j: it
// may have taken effect (in configurations that placed it) and may still
// take effect later (in the others).
func (k *keyChecker) giveUp(p int, j uint8) {
	op := k.slots[j]
	if op.Kind == OpGet {
		k.closeSlot(j, func(c *config) (config, bool) { return *c, true })
		return
	}
	if k.isDormant(op) {
		k.checkpointAt(p)
		k.closeSlot(j, func(c *config) (config, bool) {
			n := *c
			if c.lin&(1<<j) != 0 {
				n.dUsed++
			}
			return n, true
		})
		k.addDormant(p, op)
		return
	}
	id := k.classFor(op)
	k.classes[id].total++ // before closeSlot collects the used-up classes
	k.closeSlot(j, func(c *config) (config, bool) {
		n := *c
		if c.lin&(1<<j) != 0 {
			n.used = withUsed(c.used, id)
		}
		return n, true
	})
}

// addUnknown adds an operation known to be unknown from its invocation.
func (k *keyChecker) addUnknown(p int, op *Operation) {
	if op.Kind == OpGet {
		return
	}
	if k.isDormant(op) {
		k.checkpointAt(p)
		k.addDormant(p, op)
		return
	}
	k.classes[k.classFor(op)].total++
}

// isDormant tells whether an unknown operation starts dormant: a put or
// an append of a non-empty value that no read has woken and that no CAS
// which may still take effect (open, or unknown) expects.
func (k *keyChecker) isDormant(op *Operation) bool {
	if op.Kind != OpPut && op.Kind != OpAppend || op.Value == "" || k.woken[classKey{kind: op.Kind, value: op.Value}] {
		return false
	}
	for open := k.openMask; open != 0; open &= open - 1 {
		if c := k.slots[bits.TrailingZeros64(open)]; c.Kind == OpCAS && shows(op.Kind, op.Value, c.Expected) {
			return false
		}
	}
	for _, id := range k.classIDs {
		if c := &k.classes[id].op; c.Kind == OpCAS && shows(op.Kind, op.Value, c.Expected) {
			return false
		}
	}
	return true
}

// shows tells whether s, a value a read returned or a CAS expects, may
// contain the effect of a put or append of v: a value put starts every
// value until the next write that replaces it; an appended one stays
// inside.
func shows(kind OpKind, v, s string) bool {
	if kind == OpPut {
		return strings.HasPrefix(s, v)
	}
	return strings.Contains(s, v)
}

func (k *keyChecker) addDormant(p int, op *Operation) {
	k.dormant = append(k.dormant[:k.dormantLen], dormantOp{kind: op.Kind, value: op.Value, start: p})
	k.dormantLen++
	k.dormantCount++
}

// classFor returns the ID of op's class, creating it.
func (k *keyChecker) classFor(op *Operation) uint32 {
	ck := classKey{kind: op.Kind, value: op.Value, expected: op.Expected}
	if id, ok := k.classOf[ck]; ok {
		return id
	}
	id := k.nextClassID
	k.nextClassID++
	k.classOf[ck] = id
	k.classes[id] = &uclass{op: Operation{Kind: op.Kind, Key: op.Key, Value: op.Value, Expected: op.Expected, Outcome: OutcomeUnknown}}
	k.classIDs = append(k.classIDs, id) // IDs grow, so the list stays sorted
	return id
}

// evidence wakes the dormant operations that s, a value a read returned
// or a CAS expects, may show: a put whose value starts s, an append whose
// value s contains. A woken operation is active from its start on, so the
// key is recomputed from there; if its start has left the log, it is
// active from now on and the key can no longer be proven illegal.
func (k *keyChecker) evidence(p int, s string) (restart int, woke bool) {
	var keys []classKey
	for i := range k.dormant[:k.dormantLen] {
		d := &k.dormant[i]
		ck := classKey{kind: d.kind, value: d.value}
		if d.start <= p && !k.woken[ck] && !slices.Contains(keys, ck) && shows(d.kind, d.value, s) {
			keys = append(keys, ck)
		}
	}
	if len(keys) == 0 {
		return 0, false
	}
	from := -1
	var woken []int
	for i := range k.dormant[:k.dormantLen] {
		d := &k.dormant[i]
		if d.start <= p && slices.Contains(keys, classKey{kind: d.kind, value: d.value}) {
			woken = append(woken, i)
			if from < 0 {
				from = d.start // the list is in start order
			}
		}
	}
	for _, ck := range keys {
		k.woken[ck] = true
	}
	ci := -1
	for i := range k.ckpts {
		if k.ckpts[i].pos <= from {
			ci = i
		}
	}
	if ci < 0 {
		k.wakeLate(woken)
		return 0, false
	}
	k.restore(&k.ckpts[ci])
	k.ckpts = k.ckpts[:ci+1]
	return k.ckpts[ci].pos, true
}

// restore returns the key to checkpoint ck. Dormant operations that
// started at ck itself (those a settled window left, see restart) and are
// woken since become active: nothing before ck can have used them, the
// state there being a single configuration that used no dormant one.
func (k *keyChecker) restore(ck *checkpoint) {
	k.keyState = ck.state.clone()
	for i := range k.dormant[:k.dormantLen] {
		d := &k.dormant[i]
		if d.start == ck.pos && k.woken[classKey{kind: d.kind, value: d.value}] {
			k.classes[k.classFor(&Operation{Kind: d.kind, Key: k.key, Value: d.value})].total++
			k.dormantCount--
		}
	}
}

// wakeLate turns the dormant operations at the given indexes, which
// evidence woke, into active ones from now on, without a replay: their
// start is no longer in the log. A configuration that used some dormant
// operations is taken to have used others (they were interchangeable),
// which keeps it a real one; only placements before now are lost, so the
// key may still be found linearizable but no longer illegal. The dormant
// list is left as it is (woken marks them), since checkpoints index into
// it; a replay from a checkpoint before now leaves them dormant, which
// only loses more placements.
func (k *keyChecker) wakeLate(woken []int) {
	k.incomplete = true
	k.configs = slices.Clone(k.configs) // checkpoints may share the old ones
	for _, i := range woken {
		d := &k.dormant[i]
		if k.dormantCount == 0 {
			break
		}
		id := k.classFor(&Operation{Kind: d.kind, Key: k.key, Value: d.value})
		k.classes[id].total++
		k.dormantCount--
		for j := range k.configs {
			c := &k.configs[j]
			if c.dUsed > k.dormantCount {
				c.dUsed--
				c.used = withUsed(c.used, id)
			}
		}
	}
}

// checkpointAt records the state before the event at p, unless a
// checkpoint at p exists (a replay passes it again).
func (k *keyChecker) checkpointAt(p int) {
	if n := len(k.ckpts); n > 0 && k.ckpts[n-1].pos >= p {
		return
	}
	k.ckpts = append(k.ckpts, checkpoint{pos: p, at: k.at[p-k.base], state: k.keyState.clone()})
}

// setConfigs installs the configurations after an event; none left means
// the history up to op cannot be linearized.
func (k *keyChecker) setConfigs(cs []config, op *Operation) {
	k.configs = cs
	if len(cs) == 0 {
		k.setIllegal(op)
		return
	}
	if len(cs) > k.lim.configs {
		k.overflow(fmt.Sprintf("more than %d configurations after %s", k.lim.configs, describeCall(*op)))
		return
	}
	k.collect()
}

// collect drops the active classes every configuration has used up.
func (k *keyChecker) collect() {
	for _, id := range k.classIDs {
		least := ^uint32(0)
		for i := range k.configs {
			least = min(least, countIn(k.configs[i].used, id))
		}
		if least == 0 {
			continue
		}
		for i := range k.configs {
			c := &k.configs[i]
			u := slices.Clone(c.used)
			at, _ := slices.BinarySearch(u, id)
			c.used = slices.Delete(u, at, at+int(least))
		}
		cl := k.classes[id]
		cl.total -= least
		if cl.total == 0 {
			delete(k.classes, id)
			delete(k.classOf, classKey{kind: cl.op.Kind, value: cl.op.Value, expected: cl.op.Expected})
		}
	}
	k.classIDs = slices.DeleteFunc(k.classIDs, func(id uint32) bool { return k.classes[id] == nil })
}

func (k *keyChecker) setUnknown(reason string) {
	k.status, k.reason = keyUnknown, reason
	k.release()
}

// dedup removes repeated configurations, keeping the first.
func dedup(cs []config) []config {
	if len(cs) < 2 {
		return cs
	}
	var hs []uint64
	m := map[uint64][]int32{}
	inMap := false
	out := cs[:0:0]
	for i := range cs {
		h := cs[i].hash()
		if find(out, hs, m, inMap, &cs[i], h, func(int) bool { return true }) >= 0 {
			continue
		}
		out = append(out, cs[i])
		hs = append(hs, h)
		index(hs, m, &inMap)
	}
	return out
}

// anchorEvery is how many events a key's log may hold past its last
// anchor before an anchored key drops it.
const anchorEvery = 64

// trim bounds the log. While no dormant operation could need a replay,
// the log before an anchor (a single configuration with nothing placed
// early and nothing tainted) is never read again: the key's whole past is
// that one state, and a visualization can start there. Otherwise the log
// keeps its last lim.log events; a dormant operation whose start falls
// out can only be woken late (see wakeLate).
func (k *keyChecker) trim() {
	if k.status != keyOK {
		return
	}
	end := k.base + len(k.log)
	if len(k.log) >= anchorEvery && k.keyState.anchored() && !k.replayable() {
		k.log, k.at, k.base = nil, nil, end
		k.ckpts = append(k.ckpts[:0], checkpoint{pos: end, at: k.lastAt, state: k.keyState.clone()})
		return
	}
	if len(k.log) <= k.lim.log {
		return
	}
	drop := len(k.log) - k.lim.log/2
	k.base += drop
	k.log = slices.Clone(k.log[drop:])
	k.at = slices.Clone(k.at[drop:])
	i := 0
	for i < len(k.ckpts) && k.ckpts[i].pos < k.base {
		i++
	}
	k.ckpts = slices.Clone(k.ckpts[i:])
}

// anchored tells whether the key's past comes down to a single certain
// state: one configuration, nothing placed early, nothing tainted, and no
// open observer that saw anything but the current state (a window that
// starts here replays its open operations as if called here).
func (s *keyState) anchored() bool {
	if len(s.configs) != 1 {
		return false
	}
	c := &s.configs[0]
	if c.lin != 0 || c.st.tainted || c.dUsed != 0 {
		return false
	}
	for _, o := range c.obs {
		fresh := slotObs{slot: o.slot}.saw(c.st, s.slots[o.slot])
		if o.differs != fresh.differs || !slices.Equal(o.states, fresh.states) {
			return false
		}
	}
	return true
}

// replayable tells whether some dormant operation could still be woken
// with a replay.
func (k *keyChecker) replayable() bool {
	for i := range k.dormant[:k.dormantLen] {
		d := &k.dormant[i]
		if d.start >= k.base && !k.woken[classKey{kind: d.kind, value: d.value}] {
			return true
		}
	}
	return false
}

func (k *keyChecker) setIllegal(op *Operation) {
	k.status, k.failed = keyIllegal, op
	if k.incomplete {
		k.status = keyUnknown
		k.reason = fmt.Sprintf("key %s: no linearization explains %s, but an unknown operation was seen more than %d events after it became unknown, too late to replay the key with it", showValue(k.key), describeCall(*op), k.lim.log)
	} else {
		k.window = k.illegalWindow()
	}
	k.release()
}

// release frees what a decided key no longer needs.
func (k *keyChecker) release() {
	k.keyState = keyState{}
	k.log, k.at, k.ckpts, k.dormant, k.woken, k.srch = nil, nil, nil, nil, nil, nil
}
