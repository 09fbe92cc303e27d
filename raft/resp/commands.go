package resp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/raft/server"
)

// class tells how a command is served.
type class uint8

const (
	// classLocal commands are answered by the node that receives them.
	classLocal class = iota + 1
	// classRead commands are ReadIndex reads, served by the leader.
	classRead
	// classWrite commands are proposed through the log by the leader.
	classWrite
)

// command is one entry of the command table. Adding a command (an admin
// command for membership changes, say) is adding an entry: a local
// command sets run, a replicated one sets parse.
type command struct {
	name string
	// arity follows Redis: n > 0 means exactly n words, the name
	// included; n < 0 means at least -n.
	arity int
	class class
	// run answers a local command.
	run func(f *Frontend, cs *connState, args []string) []byte
	// parse turns the arguments of a replicated command into an op.
	parse func(args []string) (op, []byte)
}

// op is a parsed replicated command.
type op struct {
	class class
	// key is what a read reads; cmd what a write proposes, with Client
	// and Seq zero unless the SESSION form gave them.
	key string
	cmd kv.Command
	// answer renders the reply of a write, or of a read (value, found).
	answerWrite func(server.Result) []byte
	answerRead  func(value string, found bool) []byte
}

var commandTable = map[string]*command{}

func init() {
	for _, c := range []*command{
		{name: "PING", arity: -1, class: classLocal, run: runPing},
		{name: "ECHO", arity: 2, class: classLocal, run: func(_ *Frontend, _ *connState, a []string) []byte { return redcon.AppendBulkString(nil, a[1]) }},
		{name: "QUIT", arity: 1, class: classLocal, run: func(_ *Frontend, cs *connState, _ []string) []byte { cs.quit = true; return redcon.AppendOK(nil) }},
		{name: "INFO", arity: -1, class: classLocal, run: runInfo},
		{name: "RAFT.STATUS", arity: 1, class: classLocal, run: runStatus},
		{name: "RAFT.NOFORWARD", arity: 1, class: classLocal, run: func(_ *Frontend, cs *connState, _ []string) []byte { cs.noForward = true; return redcon.AppendOK(nil) }},
		{name: "CLIENT", arity: -2, class: classLocal, run: runClient},
		{name: "CONFIG", arity: -3, class: classLocal, run: runConfig},
		{name: "COMMAND", arity: -1, class: classLocal, run: func(*Frontend, *connState, []string) []byte { return redcon.AppendArray(nil, 0) }},
		{name: "GET", arity: 2, class: classRead, parse: parseGet},
		{name: "SET", arity: 3, class: classWrite, parse: parseSet},
		{name: "DEL", arity: 2, class: classWrite, parse: parseDel},
		{name: "APPEND", arity: 3, class: classWrite, parse: parseAppend},
		{name: "CAS", arity: 4, class: classWrite, parse: parseCAS},
	} {
		commandTable[c.name] = c
	}
}

// lookup finds a command and checks its arity; on failure it returns
// the error reply.
func lookup(args []string) (*command, []byte) {
	name := strings.ToUpper(args[0])
	c := commandTable[name]
	if c == nil {
		return nil, errReply(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", args[0], quoteArgs(args[1:])))
	}
	if (c.arity > 0 && len(args) != c.arity) || (c.arity < 0 && len(args) < -c.arity) {
		return nil, errWrongArity(c.name)
	}
	return c, nil
}

func quoteArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i == 8 {
			break
		}
		if len(a) > 32 {
			a = a[:32]
		}
		fmt.Fprintf(&b, "'%s' ", a)
	}
	return b.String()
}

// parseOp parses a replicated command, plain or in the SESSION form:
//
//	SESSION <client-id> <seq> <command> [args...]
//
// client-id is a decimal in [1, 2^63), seq a decimal >= 1. The command
// runs in that kv session: retried with the same client ID and seq, a
// write is applied at most once and answered as the first time.
func parseOp(args []string) (op, []byte) {
	if strings.EqualFold(args[0], "SESSION") && len(args) == 2 && strings.EqualFold(args[1], "REGISTER") {
		return write(kv.Register(), func(r server.Result) []byte {
			id, _ := kv.RegisteredID(r.Response)
			return redcon.AppendInt(nil, int64(id))
		})
	}
	if strings.EqualFold(args[0], "SESSION") {
		if len(args) < 4 {
			return op{}, errWrongArity("SESSION")
		}
		client, err1 := strconv.ParseUint(args[1], 10, 64)
		seq, err2 := strconv.ParseUint(args[2], 10, 64)
		if err1 != nil || client == 0 || client >= 1<<63 {
			return op{}, errReply("ERR SESSION client ID must be an integer in [1, 2^63)")
		}
		if err2 != nil || seq == 0 {
			return op{}, errReply("ERR SESSION sequence number must be a positive integer")
		}
		o, rep := parseOp(args[3:])
		if rep != nil {
			return o, rep
		}
		if o.class == classLocal || strings.EqualFold(args[3], "SESSION") {
			return op{}, errReply("ERR SESSION wraps GET, SET, DEL, APPEND or CAS")
		}
		o.cmd.Client, o.cmd.Seq = kv.ClientID(client), kv.Seq(seq)
		return o, nil
	}
	c, rep := lookup(args)
	if rep != nil {
		return op{}, rep
	}
	if c.class == classLocal {
		return op{class: classLocal}, nil
	}
	return c.parse(args)
}

func runPing(_ *Frontend, _ *connState, args []string) []byte {
	switch len(args) {
	case 1:
		return redcon.AppendString(nil, "PONG")
	case 2:
		return redcon.AppendBulkString(nil, args[1])
	}
	return errWrongArity("PING")
}

func runClient(_ *Frontend, _ *connState, args []string) []byte {
	switch strings.ToUpper(args[1]) {
	case "SETNAME", "SETINFO":
		return redcon.AppendOK(nil)
	}
	return errReply("ERR CLIENT supports SETNAME and SETINFO only")
}

// runConfig answers CONFIG GET for the few parameters that describe
// this server's durability, which redis-benchmark asks for.
func runConfig(_ *Frontend, _ *connState, args []string) []byte {
	if !strings.EqualFold(args[1], "GET") || len(args) != 3 {
		return errReply("ERR CONFIG supports GET <parameter> only")
	}
	values := map[string]string{"save": "", "appendonly": "yes", "appendfsync": "always"}
	p := strings.ToLower(args[2])
	v, ok := values[p]
	if !ok {
		return redcon.AppendArray(nil, 0)
	}
	b := redcon.AppendArray(nil, 2)
	b = redcon.AppendBulkString(b, p)
	return redcon.AppendBulkString(b, v)
}

func parseGet(args []string) (op, []byte) {
	return op{class: classRead, key: args[1], answerRead: func(v string, found bool) []byte {
		if !found {
			return redcon.AppendNull(nil)
		}
		return redcon.AppendBulkString(nil, v)
	}}, nil
}

func write(cmd kv.Command, answer func(server.Result) []byte) (op, []byte) {
	return op{class: classWrite, cmd: cmd, answerWrite: func(r server.Result) []byte {
		if rep := statusError(r.Response); rep != nil {
			return rep
		}
		return answer(r)
	}}, nil
}

func parseSet(args []string) (op, []byte) {
	return write(kv.Put(0, 0, args[1], args[2]), func(server.Result) []byte { return redcon.AppendOK(nil) })
}

// parseDel: DEL of one key. The reply counts the keys this command
// removed: 1 if the key existed when it was applied; 0 for a missing key
// and for a SESSION retry answered from the session table.
func parseDel(args []string) (op, []byte) {
	return write(kv.Delete(0, 0, args[1]), func(r server.Result) []byte {
		if r.Existed {
			return redcon.AppendInt(nil, 1)
		}
		return redcon.AppendInt(nil, 0)
	})
}

// parseAppend: the reply is the value's length after the append (for a
// SESSION retry, its length now).
func parseAppend(args []string) (op, []byte) {
	return write(kv.Append(0, 0, args[1], args[2]), func(r server.Result) []byte {
		return redcon.AppendInt(nil, int64(r.Length))
	})
}

// parseCAS: CAS key expected new sets key to new iff it exists and holds
// expected; the reply is 1 if it did, 0 if not.
func parseCAS(args []string) (op, []byte) {
	return write(kv.CAS(0, 0, args[1], args[2], args[3]), func(r server.Result) []byte {
		if r.Response.Status == kv.StatusOK {
			return redcon.AppendInt(nil, 1)
		}
		return redcon.AppendInt(nil, 0)
	})
}
