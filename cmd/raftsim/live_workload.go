package main

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft/resp"
	"github.com/raftsim/raftsim/sim"
)

// liveWorkload runs the simulator's client workload (sim.WorkloadConfig:
// keys, operation mix, attempt timeout, deadline) against real nodes over
// RESP: each client is a process that opens a kv session (SESSION
// REGISTER, which every node requires: serve bounds its session table)
// and has one operation outstanding, retried with the same session (the
// SESSION form) at another node until it completes or its deadline
// passes, as sim's clients do. Times are nanoseconds since the run's
// start.
type liveWorkload struct {
	cfg   sim.WorkloadConfig
	addrs []string // client address of node i+1
	start time.Time
	seed  uint64

	mu      sync.Mutex
	history []checker.Operation
	// progressed[c] is set when client c completes an operation invoked
	// at or after healAt (ns); healAt < 0 means not yet healing.
	progressed []bool
	healAt     int64
}

func (w *liveWorkload) now() int64 { return int64(time.Since(w.start)) }

// setHealing marks the start of the recovery phase.
func (w *liveWorkload) setHealing(at int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.healAt = at
}

// allProgressed reports whether every client completed an operation
// invoked during the recovery phase.
func (w *liveWorkload) allProgressed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.progressed {
		if !p {
			return false
		}
	}
	return true
}

func (w *liveWorkload) record(c int, op checker.Operation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.history = append(w.history, op)
	if w.healAt >= 0 && op.Outcome == checker.OutcomeOK && op.Invoke >= w.healAt {
		w.progressed[c] = true
	}
}

// run starts the clients; they stop invoking when ctx ends and return
// once their operation in flight is done (bounded by its deadline).
func (w *liveWorkload) run(ctx context.Context) {
	w.progressed = make([]bool, w.cfg.Clients)
	w.healAt = -1
	var wg sync.WaitGroup
	for i := 0; i < w.cfg.Clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := &liveClient{w: w, pos: i, rand: rand.New(rand.NewPCG(w.seed, uint64(1000+i))),
				conns: make([]*resp.Client, len(w.addrs)), lastValue: make([]string, w.cfg.Keys)}
			defer lc.close()
			for ctx.Err() == nil {
				if lc.id == 0 && !lc.register(ctx) {
					continue
				}
				lc.operate()
				if w.cfg.Think > 0 {
					time.Sleep(w.cfg.Think)
				}
			}
		}()
	}
	wg.Wait()
}

// liveClient is one client process.
type liveClient struct {
	w   *liveWorkload
	pos int
	// id is the client's kv session, as SESSION REGISTER gave it (the
	// index of the registering entry, so unique in the cluster), and seq
	// its last operation's number; id is 0 while the client has no
	// session (at first, and after one expired).
	id        uint64
	seq       uint64
	rand      *rand.Rand
	conns     []*resp.Client
	target    int // index into w.addrs
	lastValue []string
}

func (c *liveClient) close() {
	for _, cl := range c.conns {
		if cl != nil {
			cl.Close()
		}
	}
}

// register opens a session, trying node after node until one answers or
// ctx ends (each attempt bounded by the workload's attempt timeout). A
// registration whose reply was lost leaves a session unused; the table's
// bound evicts it in time.
func (c *liveClient) register(ctx context.Context) bool {
	for ctx.Err() == nil {
		v, outcome := c.attempt([]string{"SESSION", "REGISTER"}, time.Now().Add(c.w.cfg.Attempt))
		if outcome == attemptOK {
			if v.Kind == ':' && v.Int > 0 {
				c.id, c.seq = uint64(v.Int), 0
				return true
			}
		}
		time.Sleep(retryPause)
	}
	return false
}

// operate draws an operation as sim's clients do and carries it out.
func (c *liveClient) operate() {
	w := c.w
	c.seq++
	key := c.rand.IntN(w.cfg.Keys)
	keyName := "k" + strconv.Itoa(key)
	value := "c" + strconv.FormatUint(c.id, 10) + "-" + strconv.FormatUint(c.seq, 10)
	mix := w.cfg.Mix
	draw := c.rand.IntN(mix.Get + mix.Put + mix.Append + mix.Delete + mix.CAS)
	op := checker.Operation{ClientID: c.id, Seq: c.seq, Key: keyName}
	var args []string
	switch {
	case draw < mix.Get:
		op.Kind, args = checker.OpGet, []string{"GET", keyName}
	case draw < mix.Get+mix.Put:
		op.Kind, op.Value, args = checker.OpPut, value, []string{"SET", keyName, value}
	case draw < mix.Get+mix.Put+mix.Append:
		value = "[" + value + "]"
		op.Kind, op.Value, args = checker.OpAppend, value, []string{"APPEND", keyName, value}
	case draw < mix.Get+mix.Put+mix.Append+mix.Delete:
		op.Kind, args = checker.OpDelete, []string{"DEL", keyName}
	default:
		op.Kind, op.Expected, op.Value = checker.OpCAS, c.lastValue[key], value
		args = []string{"CAS", keyName, op.Expected, value}
	}
	args = append([]string{"SESSION", strconv.FormatUint(c.id, 10), strconv.FormatUint(c.seq, 10)}, args...)
	op.Invoke = w.now()
	deadline := time.Now().Add(w.cfg.Deadline)
	maybeApplied := false
	for {
		v, outcome := c.attempt(args, deadline)
		switch outcome {
		case attemptOK:
			c.complete(&op, key, v)
			return
		case attemptUnknown:
			maybeApplied = maybeApplied || op.Kind != checker.OpGet
		case attemptExpired:
			// The session is gone: this attempt was not applied, an
			// earlier one may have been. Open a new session next.
			c.id = 0
		}
		if c.id == 0 || time.Now().Add(retryPause).After(deadline) {
			op.Complete = w.now()
			op.Outcome = checker.OutcomeFail
			if maybeApplied {
				op.Outcome = checker.OutcomeUnknown
			}
			w.record(c.pos, op)
			return
		}
		time.Sleep(retryPause)
	}
}

// retryPause separates attempts, so a leaderless cluster is not flooded.
const retryPause = 10 * time.Millisecond

type attemptOutcome uint8

const (
	attemptOK      attemptOutcome = iota + 1
	attemptRefused                // definitely not applied
	attemptUnknown                // may have been applied
	attemptExpired                // not applied: the session is gone
)

var leaderHint = regexp.MustCompile(`leader is node (\d+)`)

// attempt sends the command to the current target once.
func (c *liveClient) attempt(args []string, deadline time.Time) (resp.Value, attemptOutcome) {
	w := c.w
	t := c.target
	cl := c.conns[t]
	if cl == nil {
		var err error
		if cl, err = resp.Dial(w.addrs[t], w.cfg.Attempt); err != nil {
			c.target = c.rand.IntN(len(w.addrs))
			return resp.Value{}, attemptRefused // nothing was sent
		}
		c.conns[t] = cl
	}
	ctx, cancel := context.WithDeadline(context.Background(), minTime(deadline, time.Now().Add(w.cfg.Attempt)))
	defer cancel()
	v, err := cl.Do(ctx, args...)
	if err != nil {
		// Timed out or the connection broke after sending: unknown.
		cl.Close()
		c.conns[t] = nil
		c.target = c.rand.IntN(len(w.addrs))
		return resp.Value{}, attemptUnknown
	}
	if !v.IsError() {
		return v, attemptOK
	}
	switch v.Code() {
	case resp.CodeSessionExpired:
		return v, attemptExpired
	case resp.CodeUnknown:
		c.target = c.rand.IntN(len(w.addrs))
		return v, attemptUnknown
	case resp.CodeNotLeader:
		if m := leaderHint.FindStringSubmatch(v.Str); m != nil {
			if id, _ := strconv.Atoi(m[1]); id >= 1 && id <= len(w.addrs) {
				c.target = id - 1
				return v, attemptRefused
			}
		}
	}
	c.target = c.rand.IntN(len(w.addrs))
	return v, attemptRefused
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (c *liveClient) complete(op *checker.Operation, key int, v resp.Value) {
	op.Outcome = checker.OutcomeOK
	switch op.Kind {
	case checker.OpGet:
		op.Found = !v.Null
		op.Output = v.Str
		c.lastValue[key] = v.Str
	case checker.OpCAS:
		op.Swapped = v.Int == 1
		if op.Swapped {
			c.lastValue[key] = op.Value
		}
	case checker.OpPut:
		c.lastValue[key] = op.Value
	case checker.OpDelete:
		c.lastValue[key] = ""
	}
	op.Complete = c.w.now()
	c.w.record(c.pos, *op)
}
