package resp

import (
	"fmt"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/raftsim/raftsim/raft"
)

// statusFields is the node's state as (name, value) pairs, in the order
// INFO raft and RAFT.STATUS print them.
func (f *Frontend) statusFields() [][2]string {
	st := f.cfg.Server.Status()
	leaderAddr := ""
	if st.Leader != raft.None && st.Leader != st.ID {
		leaderAddr = f.cfg.PeerClientAddr(st.Leader)
	}
	conns, rejected, limitCloses := f.clientCounts()
	return [][2]string{
		{"node", fmt.Sprint(st.ID)},
		{"role", st.Role.String()},
		{"term", fmt.Sprint(st.Term)},
		{"leader", fmt.Sprint(st.Leader)},
		{"leader_addr", leaderAddr},
		{"commit", fmt.Sprint(st.Commit)},
		{"applied", fmt.Sprint(st.Applied)},
		{"last_index", fmt.Sprint(st.LastIndex)},
		{"first_index", fmt.Sprint(st.FirstIndex)},
		{"snapshot_index", fmt.Sprint(st.SnapshotIndex)},
		{"proposals", fmt.Sprint(st.Proposals)},
		{"reads", fmt.Sprint(st.Reads)},
		{"busy", fmt.Sprint(st.Busy)},
		{"fsyncs", fmt.Sprint(st.Syncs)},
		{"fsynced_entries", fmt.Sprint(st.SyncedEntries)},
		{"config", st.Config.String()},
		{"snapshots", fmt.Sprint(st.Snapshots)},
		{"restores", fmt.Sprint(st.Restores)},
		{"connected_clients", fmt.Sprint(conns)},
		{"rejected_clients", fmt.Sprint(rejected)},
		{"input_limit_closes", fmt.Sprint(limitCloses)},
	}
}

// runInfo answers INFO and INFO raft with a "# Raft" section of
// name:value lines; other sections are empty.
func runInfo(f *Frontend, _ *connState, args []string) []byte {
	if len(args) > 2 {
		return errReply("ERR syntax error")
	}
	if len(args) == 2 && !strings.EqualFold(args[1], "raft") && !strings.EqualFold(args[1], "all") &&
		!strings.EqualFold(args[1], "everything") && !strings.EqualFold(args[1], "default") {
		return redcon.AppendBulkString(nil, "")
	}
	var b strings.Builder
	b.WriteString("# Raft\r\n")
	for _, kv := range f.statusFields() {
		fmt.Fprintf(&b, "%s:%s\r\n", kv[0], kv[1])
	}
	return redcon.AppendBulkString(nil, b.String())
}

// runStatus answers RAFT.STATUS with a flat array: name, value, ...
func runStatus(f *Frontend, _ *connState, _ []string) []byte {
	fields := f.statusFields()
	b := redcon.AppendArray(nil, 2*len(fields))
	for _, kv := range fields {
		b = redcon.AppendBulkString(b, kv[0])
		b = redcon.AppendBulkString(b, kv[1])
	}
	return b
}
