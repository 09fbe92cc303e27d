// Package checker decides whether what a run recorded is correct. It
// knows Raft's types and the history format but not the simulator, so the
// simulator can check online and any tool can check a recorded history
// without simulating. Checks are pure functions of their input; every
// verdict is three-valued ([VerdictOK], [VerdictIllegal], [VerdictUnknown])
// so that running out of budget is never mistaken for a pass.
//
// # Histories
//
// A [History] is the list of client operations on the replicated
// key-value store, each with its invocation and completion in virtual
// time and an [Outcome]:
//
//   - OK: completed, results known;
//   - Fail: definitely did not take effect (the checker drops it);
//   - Unknown: the client gave up; the operation may take effect at any
//     time after its invocation, or never, and its results are unknown.
//
// The store: Get of a missing key finds nothing and reads ""; Put sets;
// Append creates a missing key with the value; Delete removes (and
// succeeds on a missing key); CAS(key, expected, new) swaps iff the key
// exists and holds expected. A CAS that did not match is an OK operation
// with Swapped false: it observed the value.
//
// # History file format
//
// [WriteHistory] writes, and [Parse] with [FormatRaftsim] reads, UTF-8
// JSON lines. The first line is a header; every other line is one
// operation, in invocation order:
//
//	{"format":"raftsim-history","version":1,"meta":{"seed":"42"}}
//	{"client":1,"seq":1,"kind":"put","key":"x","value":"a","invoke":100,"complete":250,"outcome":"ok"}
//	{"client":2,"seq":1,"kind":"get","key":"x","invoke":120,"complete":300,"outcome":"ok","found":true,"output":"a"}
//	{"client":1,"seq":2,"kind":"cas","key":"x","expected":"a","value":"b","invoke":400,"complete":900,"outcome":"unknown"}
//
// "meta" is optional. An operation line has, in this order: client, seq
// (unsigned integers), kind (get, put, append, delete, cas), key,
// expected (cas only), value (put, append, cas only), invoke, complete
// (integer virtual nanoseconds, complete >= invoke), outcome (ok, fail,
// unknown), and for ok operations only their results: found and output
// (get), swapped (cas). A get imported from a source that cannot tell a
// missing key from an empty value has "found_unknown":true instead of
// "found". Exactly these fields must be present: a missing, extra,
// duplicated or mistyped field is an error naming file, line and field
// ([ParseError]). Blank lines are skipped. The writer's output is
// canonical - fields in the order above, meta keys sorted, no spaces - so
// write, read and write again gives the same bytes.
//
// # Imported formats
//
// [Load] and [Parse] also read two formats recorded elsewhere, and detect
// the format from the content when asked to ([FormatAuto]). Both are event
// logs: an invocation and the next completion of the same process form an
// operation; the process number becomes the ClientID and the line number
// the time. An operation still open at the end of the log has an Unknown
// outcome.
//
//   - [FormatPorcupineKV], porcupine's key-value tests: one EDN map per
//     line with exactly :process, :type (:invoke, :ok, :fail, :info), :f
//     (:get, :put, :append), :key and :value. The format reads a missing
//     key as "", so each Get is imported with FoundUnknown: its value is
//     compared and its existence is not. Our own format never loses that
//     information, so its checks are not weakened.
//   - [FormatJepsenEtcd], Jepsen logs of etcd as one compare-and-set
//     register, imported as key "register": read → Get (nil: not found),
//     write N → Put, cas [old new] → CAS (an :ok CAS swapped). :fail means
//     the operation did not take effect, so a failed read, write or CAS is
//     dropped like any Fail; a failed CAS is not taken as having observed a
//     different value, since the log does not say why it failed. :info
//     means Unknown. Log noise is skipped; a line that carries the
//     "jepsen.util - " logger and a process, or that contains an event
//     type such as :invoke, must parse. :nemesis lines are skipped. An
//     :info may carry a reason, nil or nothing; a :fail may carry its
//     reason (":timed-out") instead of the arguments.
//   - [FormatJepsenEDN], Jepsen's history.edn, read with a real EDN parser
//     (olympos.io/encoding/edn): one map per event at the top level or in
//     one vector, possibly tagged as Jepsen's Op records. The register
//     workload maps like the log above; the key-value workload
//     (jepsen.independent) wraps each value as [key value], and each key
//     becomes its own key. Completions without a value (a failed read, an
//     :info) take their invocation's key and arguments. Events are timed
//     by their ordinal; errors name the line each event starts on.
//
// # Raft invariants
//
// [Invariants] checks Raft's safety properties online while a cluster
// runs: the simulator reports role changes, log writes, applies, reads and
// restarts, and each Observe method returns the first [Violation] it sees,
// naming the invariant, node, term and index. The properties are Election
// Safety, Leader Append-Only, Log Matching, Leader Completeness and State
// Machine Safety (Figure 3 of the Raft paper), plus the promises made to
// clients: commit and applied indexes never move back, each entry is
// applied exactly once per node, each client command takes effect at most
// once, and a read never returns state older than the commit index when it
// began. Every check costs O(1) per observed entry, so checking every step
// of a simulation stays cheap, and the facts about the indexes every node
// has applied are released, so that their memory follows the gap between
// the slowest node and the fastest, not the length of the run.
//
// Given a view of every node's log ([Invariants.SetCluster]), it also
// checks Commit Safety each time a node's commit index moves: the newly
// committed entry must be on every node that could still win an election,
// that is every node at least as up to date as a quorum (§5.4.1). An
// unsafe commit, such as Figure 8's count of an earlier term's replicas,
// is caught when it happens, not only if a later leader overwrites the
// entry. The check costs O(nodes²) per commit index move.
//
// With log compaction (§7) the simulator also reports snapshots made,
// storage compactions, snapshots restored, and the digest of a node's
// state machine each time it applies an index some node snapshotted
// (checker/snapshots.go): every node's state at a snapshot's index equals
// the snapshot's, and a restored node's equals what any node had there
// (snapshot-digest); no node snapshots or compacts past what it applied
// (compact-past-applied); a restore moves the applied index forward
// (applied-monotonic); a snapshot's last entry has the term of the entry
// applied there, so entries appended after it continue every other log
// (log-matching). Entries a node compacted count as held (a LogView may
// say how far it compacted, CompactedView). And since replicas apply the
// same commands to the same state, the first node to apply each index
// fixes which client command executed there: a replica that executes one
// where another answered a retry (say, from a session table a snapshot
// lost) breaks client-at-most-once.
//
// # Linearizability
//
// [Linearizer] checks a history while it is recorded: the simulator
// reports each call and each completion as it happens, and the check
// keeps, per key, the set of ways the history so far can be linearized
// (incremental.go explains the algorithm and why dropping the past is
// sound), so its memory follows the operations in flight, not the length
// of the run. [CheckLinearizable] runs it over a recorded [History].
// An Unknown outcome may take
// effect at any time after its invocation, or never, and its results are
// not compared. Keys whose search outgrows its bounds are handed to
// porcupine, over their history from their last certain state, within a
// wall-clock budget; every other bound is a count, so that the verdict is
// a function of the history. A bound reached gives the verdict Unknown,
// never OK.
//
// On an Illegal verdict the result names a failing key (the store is
// linearizable iff every key is) and the operation no linearization
// explains, and [LinearizabilityResult.WriteVisualization] writes
// porcupine's HTML view of that key from its last certain state, with
// [Annotation]s for faults and leader changes:
//
//	h, err := checker.Load("run.jsonl", checker.FormatAuto)
//	if err != nil {
//		return err // a *checker.ParseError names file, line and field
//	}
//	res, err := checker.CheckLinearizable(h, checker.LinearizabilityOptions{Budget: 10 * time.Second})
//	if err != nil {
//		return err
//	}
//	if res.Verdict == checker.VerdictIllegal && res.Located {
//		err = res.WriteVisualization("run.html", faults)
//	}
package checker
