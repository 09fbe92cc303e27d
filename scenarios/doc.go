// Package scenarios reads, writes, generates and ships raftsim scenarios: a
// simulator configuration (sim.Config) with a name, a description, a default
// seed and an expectation - pass, or a named failure for scenarios that
// demonstrate an unsafe setting.
//
// # Scenario files
//
// A scenario file is TOML, parsed by github.com/BurntSushi/toml and then
// decoded strictly: an unknown key, a value of the wrong type, an
// out-of-range value (a loss rate above 100%, a node outside the cluster, an
// action at or after the end of the fault phase) or a timeline that
// contradicts itself is an *Error naming the file, the line and the field:
//
//	leader.toml:12: timeline[1].nodes[0]: node 9 is not in the cluster (nodes 1..5)
//
// Every key is optional; an omitted key keeps the value of sim.Defaults().
// Durations are Go duration strings ("150ms", "2s"); a range of durations
// is "1ms..5ms". Probabilities are strings, "5%" or "1/20" (never floats:
// decisions use integer ratios). Node IDs are 1..nodes.
//
//	name = "leader-crash"           # default: the file's base name
//	description = "The leader crashes at 1s and restarts at 2s."
//	seed = 1                        # the default seed
//	expect = "pass"                 # or failure names: ["read-freshness", "linearizability"]
//	nodes = 5                       # servers, numbered 1..nodes
//	voters = 5                      # the initial configuration: nodes 1..voters;
//	                                # the rest are spares, idle until added (default: all)
//	duration = "3s"                 # the fault phase
//	heal_duration = "2s"            # the healing phase, where liveness is checked
//	max_events = 0                  # 0: the simulator's default bound
//
//	[raft]
//	tick_interval = "10ms"
//	election_ticks = 10             # election timeout: [10, 20) ticks
//	heartbeat_ticks = 1
//	prevote = true
//	check_quorum = true
//	read_mode = "read-index"        # or "lease" (requires check_quorum)
//	lease_drift_ticks = 0
//	max_entries_per_msg = 0         # 0: raft's default
//	max_inflight_msgs = 0
//	snapshot_every = 0              # compact every N applied entries (0: never, §7)
//	snapshot_keep = 0               # entries kept behind a snapshot for lagging followers
//	snapshot_chunk = "1MiB"         # the size of a snapshot's chunks in transfer
//
//	[network]                       # every link, unless a link action changes it
//	delay = "1ms..5ms"              # "2ms" is constant; a range is uniform
//	tail = "10%"                    # with tail_max: a long tail of late messages
//	tail_max = "50ms"
//	loss = "1%"
//	duplicate = "1%"
//	reorder = "5%"                  # this share gets up to reorder_window extra delay
//	reorder_window = "20ms"
//	bandwidth = "1MiB/s"            # bytes per second (left out: unlimited); every
//	                                # message waits its turn and takes its size's time
//	[network.requests]              # for requests only (votes, appends, heartbeats);
//	loss = "10%"                    # keys left out keep [network]'s values
//	[network.responses]             # for responses only
//	delay = "0ms..27ms"
//
//	[disk]
//	sync = "100us..2ms"             # how long a sync takes
//	apply_lag = "0s"                # the state machine applies this long after a Ready (reads wait)
//	store = "memory"                # or "file": raft/filestore on a simulated disk per node
//	[disk.faults]                   # file store only: drawn on every operation in the fault phase
//	write_error = "1/5000"          # a write fails (EIO): the node stops, its supervisor restarts it
//	sync_error = "1/5000"           # an fsync fails (EIO): fatal too; the restart reads only durable data
//	misdirect = "1/20000"           # a write lands a few sectors off (corruption budget's nodes only)
//	stale_read = "1/20000"          # a read returns a sector's previous contents (budget's nodes only)
//
//	[workload]
//	clients = 10
//	keys = 10
//	attempt_timeout = "500ms"       # one attempt, before trying another node
//	deadline = "5s"                 # then the outcome is unknown (or failed)
//	think = "0s"
//	latency = "500us"               # client <-> node, one way; partitions do not cut it
//	sessions = 0                    # >0: each node keeps at most this many client sessions;
//	                                # clients register first (raft/kv SessionLimits)
//	session_idle_entries = 0        # with sessions: one unused this many log entries expires
//	[workload.mix]                  # weights; a mix given replaces the default
//	get = 30
//	put = 20
//	append = 30
//	delete = 5
//	cas = 15
//
//	[liveness]                      # from the start of the healing phase
//	leader_within = "3s"
//	progress_within = "8s"
//
//	[[timeline]]                    # in time order; at < duration
//	at = "1s"                       # or after = "500ms": from the previous entry
//	action = "crash"
//	leader = true                   # the leader at that moment
//
// Each timeline entry has a time and is an action, a wait or a proposal
// burst (see "Time, waits and proposals" below). The actions, with the
// keys each takes besides at and action (targets: see below):
//
//	crash, power_loss, pause, isolate   targets
//	reconnect                           targets: each reaches every node that is not
//	                                    isolated again, both ways (undoes isolate node
//	                                    by node; nodes reconnected together reach each
//	                                    other)
//	restart                             nodes, random, as, require (none: every crashed node)
//	resume                              nodes, random, as, require (none: every paused node)
//	partition                           groups = [[1, 2], [3, 4, 5]] (unlisted nodes are isolated);
//	                                    leader = true moves the leader into the first group
//	bridge                              nodes = [3], groups = [[1, 2], [4, 5]]
//	cut_one_way, clog, unclog           from, to
//	connect                             from, to: undoes the cut of that one link
//	heal                                nothing: every cut and clog ends
//	link                                from, to (neither: every link), and the [network] keys;
//	                                    keys left out keep the [network] values;
//	                                    messages = "requests", "responses" or a list of
//	                                    types ["App", "AppResp"] sets it for those messages
//	                                    only; outlive_heal = true keeps it through the
//	                                    healing phase (otherwise the healing phase restores
//	                                    [network], and heal itself changes no setting)
//	slow_disk                           targets, sync
//	disk_fault                          targets, fault, until (file store only): fault =
//	                                    "bit_flip" or "zero_sector" damages synced data of
//	                                    the node's store now; "sync_error", "write_error",
//	                                    "misdirect", "stale_read" hit the disk's next
//	                                    operation of that kind; "no_space" fills the disk
//	                                    until "until" (or the healing phase). A storage
//	                                    error stops the node; its supervisor restarts it
//	                                    300ms later; a store that finds damage repairs
//	                                    it, fenced. Latent faults (bit_flip,
//	                                    zero_sector, misdirect, stale_read) hit at most a
//	                                    minority of the voters per run: one past that
//	                                    budget is skipped (traced, counted)
//	clock_drift                         targets, drift_ppm (+-500000)
//	clock_jump                          targets, jump ("-300ms"; a jump at
//	                                    0s sets a clock's skew)
//	crash_new_leaders                   until, within, restart_after, include_leader: from
//	                                    at to until, every new leader is crashed within
//	                                    "within" of its election (a delay drawn from the
//	                                    seed) and restarted restart_after later ("100ms",
//	                                    or a range "100ms..300ms" drawn for each crash);
//	                                    include_leader = true hits the leader in office
//	                                    when it starts too (files written before relative
//	                                    times spell within "after"; with at, that reads)
//	isolate_new_leaders                 until, within, reconnect_after, include_leader:
//	                                    the same, isolating each new leader and
//	                                    reconnecting it reconnect_after later
//	crash_on_snapshot                   until, within, restart_after, power_loss, sender:
//	                                    from at to until, every node that writes a
//	                                    snapshot (its own, or one installed from the
//	                                    leader) is crashed within "within" of the write
//	                                    (power_loss = true: loses power) and restarted
//	                                    restart_after later; sender = true crashes every
//	                                    leader that starts sending a snapshot instead
//	isolate_on_snapshot                 until, within, reconnect_after, sender: every
//	                                    follower a leader starts sending a snapshot to
//	                                    is isolated within "within" (sender = true: the
//	                                    leader), reconnected reconnect_after later
//
// Sizes are a whole number and a unit, "512B", "16KiB", "1MB"; a bandwidth
// is a size per second, "64KiB/s".
//
// The membership actions (§6) go through the cluster as an
// administrator's request would: made at whoever leads, made again at the
// next leader when the leader changes or refuses (a change in flight, a
// new leader that has not committed in its term, a transfer under way),
// until done or within (default 5s) has passed; each outcome - ok,
// failed (nothing was appended, or the change made no sense) or unknown
// (appended, not seen committed in time) - is in the summary and --json
// ("membership"), and the trace. Their targets are the nodes the action
// can act on: add_voter finds nodes that are no voters, add_learner
// nodes that are no members (the spares), promote learners, remove and
// replace members, transfer_leader voters other than the leader.
//
//	add_voter, add_learner, remove      targets, joint, within: one single-server
//	                                    change per target, one after the other;
//	                                    joint = true makes them one joint change
//	                                    (C_old,new, left as soon as it commits)
//	promote                             targets, within: learners become voters
//	                                    (once caught up with the log)
//	replace                             targets, with = [6, 7], joint, within: each
//	                                    target is replaced by a node of with (none:
//	                                    spares drawn from the seed): the new voter is
//	                                    added, then the old one removed
//	transfer_leader                     nodes = [3], follower or random = 1, as,
//	                                    require, within: leadership is handed over
//	                                    (the leader stops taking proposals, brings
//	                                    the target up to date, tells it to stand)
//
// # Time, waits and proposals
//
// An entry's time is at = "1s" (from the start of the run) or after =
// "500ms" (from the end of the previous entry; the first entry's previous
// end is 0s). A delay may be a range, after = "0ms..13ms", drawn from the
// seed's scenario stream when the entry comes up. A wait holds the
// timeline until the cluster reaches a state, or until its within runs
// out, which fails the run (scenario/wait-leader, scenario/wait-commit)
// and lets the timeline go on:
//
//	[[timeline]]
//	after = "0s"
//	wait = "leader"                 # a node leads that reaches a majority both ways
//	within = "2s"                   # (an isolated old leader does not count)
//
//	[[timeline]]
//	after = "0s"
//	propose = 50                    # 50 proposals at once to each target
//	leader = true                   # the targets, as for an action
//
//	[[timeline]]
//	after = "0s"
//	wait = "membership"             # every membership action started so far
//	within = "3s"                   # has ended (ok or not)
//
//	[[timeline]]
//	after = "0s"
//	wait = "commit"                 # the latest burst's accepted proposals are
//	within = "2s"                   # committed on on = "majority" (the default),
//	on = "all"                      # "all" (every node up) or a number of nodes;
//	of = "all"                      # or every proposal so far still in play (not
//	                                # ended failed or unknown), not only the latest
//
// A sleep = "0ms..500ms" entry only takes time; its as names the moment it
// ended (sleep = "0s" marks a moment for a check's window). Every entry
// may also have
//
//	chance = "10%"      it runs with that probability, drawn from the seed when
//	                    it comes up; a skipped relative entry takes no time
//	when = "up < 3"     it runs only if the cluster's state meets the condition
//	                    then: up, down, isolated, connected or leaders (nodes in
//	                    the leader role), and <, <=, >, >=, == or !=
//	label = "..."       names it in messages and the trace instead of timeline[i]
//
// and a selector may leave nodes out: except = [1, "old_leader"]. With
// retry = true, each proposal of a burst is proposed again to the leader
// (after 10ms) whenever an attempt ends without its entry applied - its
// node refused it, stepped down, crashed, or another entry took its index
// - as a client retries; the state machine applies it once. That is
// 6.5840's one(): propose, retry until committed, within a time.
//
// A repeat block runs its steps again and again; the steps follow one
// another (after, never at), each repetition where the previous ended:
//
//	[[timeline]]
//	repeat = 1000
//	[[timeline.steps]]
//	after = "0s"
//	propose = 1
//	leader = true
//	[[timeline.steps]]
//	after = "0ms..13ms"
//	action = "crash"
//	leader = true
//
// It is unrolled when the file is read (at most 100000 entries in all);
// messages name a step with its repetition, "timeline[1].steps[1]
// (repetition 7)", and a reproducer holds the entries unrolled.
//
// Each proposal is its own operation in the history (an append of a unique
// value to key "p", with its own client session): OK when its node
// applies it, failed when the node refuses it (it does not lead) or
// another entry takes its index, unknown when its leader steps down or
// crashes first. After a wait or a drawn delay, an entry's time is known
// only at run time, so every later entry uses after. A relative entry that
// would come at or after the end of the fault phase never runs, and the
// run fails with scenario/timeline-overrun (as it does when a wait is
// still waiting then): the scenario did not do what it says. Entries at
// one instant that follow each other at run time run in file order.
//
// # Targets
//
// An action's targets are the nodes it names and at most one selector,
// resolved when the action runs:
//
//	nodes = [1, "old_leader"]   node IDs, and names bound by earlier actions' as
//	leader = true               the leader at that moment (of the highest term)
//	follower = true             one node other than the leader, drawn from the seed
//	random = 2                  2 distinct nodes, drawn from the seed
//	leader_and = 1              the leader and 1 other node, drawn from the seed
//	except_leader = true        every node but the leader
//	as = "old_leader"           binds the nodes the action acted on to a name
//	require = true              a missing target fails the run
//
// Only nodes the action can act on are found: a crash finds nodes that are
// up, a restart nodes that are down, a resume nodes that are paused; a
// drawn node is drawn among those (random = 1 on a restart restarts one
// crashed node). Draws come from the scenario's own stream of the seed, so
// they move no election and no message. An action that finds fewer
// targets than it names - no leader to crash, a named node already down,
// fewer nodes than random asks for - still acts on those it found, and is
// reported: counted in the summary (missing_targets in --json), and its
// trace line ends with "(missing: no leader)". With require = true it is a
// failure of the run, scenario/missing-target. A name stands for the same
// nodes until an action binds it again: "pause the leader, later resume
// that same node" is
//
//	[[timeline]]
//	at = "1s"
//	action = "pause"
//	leader = true
//	as = "old_leader"
//
//	[[timeline]]
//	at = "2s"
//	action = "resume"
//	nodes = ["old_leader"]
//
// Isolations are undone node by node with reconnect, so "swap sides" is
// two actions at one instant (isolate one side, reconnect the other), and
// a one-way cut link by link with connect. Reconnecting a node that is not
// isolated, or connecting a link that is not cut, is an error in the file
// when the timeline says so, and a missing target at run time otherwise
// (so is isolating a node that is isolated already).
//
// The timeline is checked statically: crashing a node that is already down,
// restarting or pausing a node that is down, resuming one that is not
// paused, clogging a clogged link or unclogging one that is not clogged, and
// two actions that set the same thing at the same instant (their order would
// silently decide) are rejected. Targets chosen by a selector (and names
// bound to them) are known only at run time; after such an action, only
// certain contradictions are rejected.
//
// # Checks
//
// A [[check]] block states what must hold over a window of the run. It is
// evaluated online, as the run goes; the first moment it does not hold it
// fails (kind "check", named by name, else by its kind with dashes:
// "no-commit"), once, and the run goes on. One key gives its kind:
//
//	no_commit = true        no node of the set commits past what it knew when the window opened
//	no_leader = true        no node of the set is leader at any moment
//	one_leader = true       at most one node of the set leads at any moment, and one does at the end
//	leader_within = "1s"    within 1s of from, a leader that reaches a majority is in the set
//	term_stable = true      no node of the set moves to a higher term
//	applied_on = "all"      the entries committed at from are applied on every node up
//	                        ("majority", or a number of nodes) by until
//	progress_within = "2s"  within 2s of from, an operation invoked after from completes OK
//	                        (a client's or a proposal's): liveness mid-run, with a node down
//	max_messages = 30       the nodes send at most 30 messages; messages = "requests"
//	                        (votes, appends, heartbeats: what a test harness counts as RPCs)
//	                        or "responses" counts only those
//
// and the other keys its window and nodes:
//
//	name = "old-leader-idle"    the failure's name (lower-case, digits, '-')
//	from = "1s"                 from the start of the run (default 0s), or
//	from = "old_leader+500ms"   from the moment the timeline entry that bound
//	                            old_leader ran (a wait: ended), plus an offset
//	until = "rejoined"          the same forms; default: the end of the fault
//	                            phase. Timed checks (leader_within,
//	                            progress_within) end at from + their time.
//	nodes = [1, "old_leader"]   the nodes watched (resolved when the window
//	                            opens; default every node): no_commit,
//	                            no_leader, one_leader, leader_within, term_stable
//	connected = true            no_leader, one_leader: leave out, at each
//	                            moment, nodes an isolation cut off
//
// A name a window is anchored to must be bound by exactly one timeline
// entry. A wait's as binds the moment it ended (and, for a leader wait,
// the leader it found); so does a sleep's. A window anchored to an entry
// that never runs never opens ("not reached" in the summary); one whose
// until comes before its from fails. The summary lists each window's verdict and what
// happened in it - operations by outcome, leaders elected, how far the
// commit index rose, messages sent - and so does --json ("windows").
//
// # Expectations
//
// expect lists failure names: a sim.Failure's Name ("read-freshness",
// "leader-after-heal", a check's name) or Kind ("linearizability",
// "invariant", "liveness", "check", "scenario").
// A run meets the expectation when it finds at least one failure and every
// failure it finds is listed. "pass" (the default) means no failure at all.
//
// # Reproducers
//
// A file written for a failing run carries a [reproducer] table: the
// raftsim version, the trace digest and the failures ("kind/name"), so that
// replaying it can confirm the same run and the same verdict; and, for a
// run made with a planted Raft bug (raftsim selftest), the bug's name.
//
// # The library and the generator
//
// Builtins are the files in library/, embedded in the binary; among them
// the lab3a-*, lab3b-* and lab3c-* ports of the MIT 6.5840 Raft tests,
// written from the tests' descriptions. Generate derives a scenario from a
// seed for fuzzing (swarm testing: the seed picks every option); its
// DiskFaults option (DiskFaultsAlways) puts every seed on the file store
// with its disk-fault dimension drawn, leaving the default generation
// byte for byte as it was. Encode
// writes any scenario back as a file that Parse reads to an equal
// Scenario.
//
// Usage:
//
//	s, err := scenarios.Load("my.toml") // or scenarios.Builtin("leader-crash")
//	if err != nil {
//		return err // an *scenarios.Error: file:line: field: message
//	}
//	res, err := sim.Run(s.ConfigFor(42))
//	if err != nil {
//		return err
//	}
//	if err := s.Expect.Check(res); err != nil {
//		fmt.Println("unexpected:", err)
//	}
package scenarios
