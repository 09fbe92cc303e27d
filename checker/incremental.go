package checker

// The incremental linearizability check, and why each of its cuts is sound.
//
// # The idea
//
// Linearizability is local: a history is linearizable iff the history of
// each key is (porcupine's partitioning rests on the same fact), so each
// key is checked on its own (keyChecker). For one key, the check reads
// the events in time order (a call, a completion; at equal times calls
// first, so that touching intervals overlap, as porcupine has it) and
// keeps, after each event, the set of configurations: the ways the
// history so far can be linearized, each reduced to what the rest of the
// history can still tell apart (type config):
//
//   - the key's state;
//   - which open operations (called, not completed) were already placed,
//     and for a placed CAS whether it swapped;
//   - for each open Get, the states the key was in during its window, and
//     for each open CAS not placed, whether the value ever differed from
//     the one it expects (see P3);
//   - which operations of unknown outcome were used up (each may take
//     effect at most once, at any time after its invocation, or never).
//
// This set is a cut in the strongest sense: the verdict on everything
// that follows depends on the past only through it. So once an event is
// processed, the history before it is dropped (but for the replay window
// below), and memory follows the operations in flight, not the length of
// the history. The cut is sound because the set is complete and exact:
//
//   - Exact: every configuration comes from a real linearization of the
//     history so far (each op placed between its call and its completion,
//     with the answers the model gives).
//   - Complete ("just in time", after Lowe): every linearization of the
//     whole history passes, at each completion of an OK operation o,
//     through a configuration of the set. The step at o (searcher)
//     places, from each configuration, o now, or first another open
//     operation or an unknown one, in every order; in a linearization,
//     the operations before o that are not yet placed are exactly such
//     operations (one placed before o was called before o completed), so
//     following the linearization's order step by step reaches its
//     configuration. An operation placed early is checked at its own
//     completion against the answer it was placed with.
//
// Failed operations drop the configurations that placed them (a failed
// operation did not happen); a Get whose client gave up is forgotten;
// another operation whose client gave up stays placed where it was, and
// where it was not, joins the unknown operations that may take effect
// later. Recorded histories, where the outcome is known at the call, add
// unknown operations at their call.
//
// # The reductions, and why they lose nothing
//
// A configuration that another dominates is dropped (prune): the same
// state and placements, observers that saw at least as much, and at most
// the unknown operations it used up. Whatever follows the dominated one
// follows the other. Beyond that, the search leaves out placements that
// some other placement covers:
//
//   - P1: an unknown operation just before a put or delete, with no open
//     Get or CAS that could have seen the state in between, is left out:
//     the write overwrites its effect, and an unknown operation may not
//     take effect at all. (With an open observer it is kept: the observer
//     could have read the state in between.)
//   - P2: an unknown operation that leaves the state as it is, is left
//     out (same argument).
//   - P3: operations that change nothing - a Get, a CAS that does not
//     swap - are not placed at all: each can be linearized at any point
//     of its window where the state gives its answer, so a configuration
//     keeps what its window has seen, and the completion checks the
//     answer against that. At the completion of such an operation whose
//     answer its window has seen, nothing else is placed: anything placed
//     then can as well be placed at the next step, which leaves the same
//     choices and lets operations called in between see more.
//   - P6 (dormancy, below): an unknown put or append that no read has
//     shown is placed only just before a CAS that reports no swap, where
//     it may be what made the value differ.
//
// # Dormant unknown operations
//
// Unknown operations are what makes a linearizability search expensive
// (porcupine may place each anywhere after its call, or nowhere), and a
// run with faults piles them up: most of them never took effect. An
// unknown put or append of a non-empty value v starts dormant, unless a
// read (or a CAS that may still take effect) has already shown v. While
// dormant, its effect cannot have been seen by any read or swapping CAS:
// after a put of v the value starts with v, after an append of v it
// contains v, until the next put, delete or swap - and every value a read
// returned or a CAS expected since is checked for v (evidence). So in any
// linearization that uses it, the only operations that can tell between
// it and the next overwrite are CASes that did not swap; moving it to just
// before the first of them whose expected value the state would otherwise
// hold (P6) keeps the linearization valid, since that expected value,
// like every other one, does not contain v. And since nothing can tell
// one dormant operation from another, a configuration counts how many it
// used (dUsed), and a value that contains one is "tainted": no read and no
// swap can match it, a put or delete clears it, an append keeps it.
//
// When evidence shows v, the operation wakes: it is active from its start
// on, which may mean placements in the past, so the key is recomputed
// from the checkpoint taken when it became unknown, replaying its log.
// The log is kept for ReplayWindow events; an operation woken later than
// that is made active from now on only (wakeLate): the check may still
// find the key linearizable, but can no longer prove it illegal (its
// verdict is then Unknown).
//
// # When the search outgrows its bounds
//
// The set of configurations can grow large where nothing is read for a
// while: five concurrent appends have 120 orders, all possible until a
// read tells them apart. Past MaxConfigs configurations (or MaxExplore in
// one step), the key falls back to porcupine, whose depth-first search
// keeps one order at a time (window.go): from the last checkpoint where
// the set was a single configuration with nothing placed early (a certain
// state), the events are only logged. The window ends at a read that
// makes the state certain again: nothing open, every write of the window
// completed before the read began, so in every linearization the read
// comes after every write, and the state is what it read. Porcupine
// checks the window from the certain state it began with, without its
// unknown operations; if it passes, the key resumes from the read value
// with all of them still to come (a linearization that used none leaves
// them all, and dominates). If it fails, they were needed (or the key is
// illegal), and which ones were used up cannot be told, so the window
// goes on to the next such read. Porcupine checks it with them once: at
// the end, or when it grows longer than ReplayWindow events, which ends
// the key's check (Illegal if porcupine proves it, else Unknown). That
// search starts from the last certain state before any unknown operation
// was carried, when one is still in the log (the key's initial state, for
// most keys of a short history): porcupine's search is much slower when
// every carried unknown operation is called at the window's start than
// with each called where it was (see carriesUnknown).
//
// # Proof
//
// TestIncrementalMatchesWholeHistory compares the verdict with porcupine
// over the whole history, and with the brute-force definition, on random
// histories full of cuts, unknown outcomes and values that are substrings
// of one another; TestIncrementalBoundsNeverLie does so with bounds small
// enough to force every fallback (the verdict may become Unknown, never
// the wrong one); TestIncrementalAgainstMutatedHistories and
// TestIncrementalHandBuilt hold histories that pass only if a cut forgets
// a used unknown operation, the state, or an open operation.
