// Package resp serves the replicated key-value store (raft/server over
// raft/kv) to Redis clients: it speaks RESP through
// github.com/tidwall/redcon, so redis-cli, redis-benchmark and any Redis
// client library work unchanged.
//
// # Commands
//
//	GET key                  ReadIndex read: bulk value or nil
//	SET key value            +OK (no options)
//	DEL key                  :1 if the key existed when applied, else :0 (one key)
//	APPEND key value         :length after the append
//	CAS key expected new     :1 if key held expected and now holds new, else :0
//	PING [message]  ECHO message  QUIT
//	INFO [raft]              "# Raft" section: node, role, term, leader, leader_addr,
//	                         commit, applied, last_index, first_index, snapshot_index,
//	                         request counters, snapshots made and restored,
//	                         connected_clients, rejected_clients, input_limit_closes
//	RAFT.STATUS              the same fields as a flat array: name, value, ...
//	                         (and config, the configuration the node runs with)
//	RAFT.ADDVOTER id  RAFT.ADDLEARNER id  RAFT.REMOVE id
//	                         a membership change at the leader, answered with the
//	                         configuration it made once applied (admin.go)
//	RAFT.TRANSFER id         hand leadership to node id: +OK once started
//	CONFIG GET save|appendonly|appendfsync, CLIENT SETNAME|SETINFO, COMMAND
//	                         just enough for redis-cli and redis-benchmark
//	SESSION client-id seq <GET|SET|DEL|APPEND|CAS> args...
//	                         the exactly-once form (below)
//	SESSION REGISTER         :client-id of a new session (the entry's index)
//
// Unknown commands and wrong arities get Redis's own error texts. Every
// error reply starts with a code that tells the client whether the
// command can have taken effect: ERR, NOTLEADER, TRYAGAIN, ABORTED and
// STALE mean it was not applied and will not be; UNKNOWN means it was
// proposed and may or may not take effect (the leader changed, the
// request timed out, or a forwarded connection failed after sending).
//
// # Exactly once
//
// Plain writes use the server process's own kv session, numbered in
// proposal order; a client that resends a plain write after a lost reply
// may apply it twice. A client that needs exactly-once wraps each write as
//
//	SESSION <client-id> <seq> SET key value
//
// with the client ID SESSION REGISTER answered (or, on a node whose
// table is unbounded, one of its own in [1, 2^63)) and sequence numbers
// from 1, one operation at a time, reusing seq when it retries an
// operation whose reply it did not get. The kv session table applies each
// (client-id, seq) at most once and answers a retry with the original
// reply (DEL answers :0 and APPEND the current length, since those are
// not kept); a seq below the session's last is answered STALE.
//
// A node with a bounded session table (raftsim serve's default; its
// --max-sessions flag sets the bound) takes the SESSION form only on sessions opened by SESSION REGISTER; past
// the bound the least recently used session is evicted, and one unused for
// --session-idle-entries log entries expires. A command on a session that
// is gone is answered SESSIONEXPIRED and not applied; a client whose
// earlier attempt of it got no answer must take that attempt's outcome as
// unknown, and register again. Plain commands are then sessionless.
//
// # Followers forward
//
// A follower that knows the leader sends the request, as the bytes the
// client sent, to the leader's client port (learned in the peer
// handshake) and relays the reply unchanged, so any node serves any
// client. Config.NoForward answers NOTLEADER with the leader's ID and
// address instead. A forwarded connection starts with RAFT.NOFORWARD, so
// a node that lost leadership meanwhile refuses instead of forwarding in
// a loop.
//
// # Pipelines and order
//
// The commands of a pipeline are submitted to the node together, so they
// share Readies and fsyncs; consecutive reads, and consecutive writes,
// run at once, and a read after a write waits for it, so one
// connection's commands take effect in the order it sent them.
//
// # Limits
//
// What a client can make a node hold is bounded (Limits, limits.go): an
// argument's length (MaxBulkBytes, 1 MiB), the arguments of a command
// (MaxArgs, 1024), the input a connection has sent unanswered
// (MaxQueryBytes, 4 MiB: the command being received), an inline command
// (MaxInlineBytes, 64 KiB) and the open connections (MaxConns, 10,000).
// The input is followed as it arrives (inputscan.go), so a bulk or
// argument count past a limit is refused from its header, before its
// data is read. A client past a limit gets an error reply that names it
// ("ERR Protocol error: an argument of N bytes, limit L"; "ERR max number
// of clients reached"), after the replies to its earlier commands, and
// its connection is closed; INFO counts both.
//
// Adding a command is one entry in the command table (commands.go; the
// membership commands are in admin.go).
package resp
