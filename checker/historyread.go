package checker

import (
	"bufio"
	"bytes"
	"container/heap"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The limits on a history file. Every one is checked as the file is read,
// before the memory it bounds is used, and reported as a *ParseError
// naming the limit.
const (
	// MaxHistoryBytes bounds a history file: a wrong path (a disk image,
	// a log of years) ends in an error, not in exhausted memory or time.
	MaxHistoryBytes = 1 << 30
	// MaxHistoryLineBytes bounds one line, without its "\n" (/dev/zero
	// has none).
	MaxHistoryLineBytes = 1 << 20
	// DetectLines and DetectBytes bound how far format detection looks
	// for a Jepsen log's logger name past the noise that may open it.
	DetectLines = 10_000
	DetectBytes = 1 << 20
	// MaxEDNBytes bounds a Jepsen history.edn, which is decoded whole (an
	// EDN vector cannot be read one event at a time).
	MaxEDNBytes = 256 << 20
	// MaxEDNDepth bounds the nesting of EDN collections, which the EDN
	// decoder follows by recursion.
	MaxEDNDepth = 64
	// ReorderWindow bounds how far out of invocation order the operations
	// of a file in raftsim's format may be when it is checked as a stream:
	// the check holds at most this many operations to put them in order.
	ReorderWindow = 1 << 16
)

// The limits as the code reads them: variables, so that tests can check
// each at a size they can afford, just inside and just outside.
var (
	maxHistoryBytes     int64 = MaxHistoryBytes
	maxHistoryLineBytes       = MaxHistoryLineBytes
	detectLines               = DetectLines
	detectBytes               = DetectBytes
	maxEDNBytes         int64 = MaxEDNBytes
	maxEDNDepth               = MaxEDNDepth
	reorderWindow             = ReorderWindow
)

// openHistoryFile opens a history file for reading, refusing what is not
// a regular file: a named pipe would block until a writer came, a device
// (/dev/zero) never ends, a directory is a mistake. The file's size is
// checked against MaxHistoryBytes before anything is read.
func openHistoryFile(path string) (*os.File, error) {
	if err := regularFile(path, nil); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	// What was checked by name may have been replaced since: check what
	// was opened.
	info, err := f.Stat()
	if err == nil {
		err = regularFile(path, info)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// regularFile checks that path (or, if info is given, the file it
// describes) is a regular file no larger than MaxHistoryBytes.
func regularFile(path string, info fs.FileInfo) error {
	if info == nil {
		var err error
		if info, err = os.Stat(path); err != nil {
			return fmt.Errorf("checker: %w", err)
		}
	}
	if !info.Mode().IsRegular() {
		return &ParseError{File: path, Msg: fmt.Sprintf("not a regular file (%s): a history must be a file, read once to its end", describeMode(info.Mode()))}
	}
	if info.Size() > maxHistoryBytes {
		return &ParseError{File: path, Msg: fmt.Sprintf("%d bytes: larger than the limit of %d bytes (MaxHistoryBytes)", info.Size(), maxHistoryBytes)}
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}

// lineSource reads a history line by line within the limits: a line ends
// at "\n", one trailing "\r" is dropped (files written on Windows read
// the same), and the bytes read so far never pass MaxHistoryBytes.
type lineSource struct {
	name  string
	r     *bufio.Reader
	read  int64
	lines int
	// held are lines read ahead (format detection), given out first.
	held []string
	// err is the error that ended the source, io.EOF at the end.
	err error
}

func newLineSource(name string, r io.Reader) *lineSource {
	return &lineSource{name: name, r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line and its number, or ok=false at the end (err
// then says why, nil at the end of the input).
func (s *lineSource) next() (line string, lineNo int, ok bool, err error) {
	if len(s.held) > 0 {
		line = s.held[0]
		s.held = s.held[1:]
		return line, s.lines - len(s.held), true, nil
	}
	line, err = s.readLine()
	if err != nil {
		if err == io.EOF {
			return "", 0, false, nil
		}
		return "", 0, false, err
	}
	return line, s.lines, true, nil
}

// readLine reads one more line from the input.
func (s *lineSource) readLine() (string, error) {
	if s.err != nil {
		return "", s.err
	}
	var buf []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.read += int64(len(chunk))
		if s.read > maxHistoryBytes {
			s.err = &ParseError{File: s.name, Msg: fmt.Sprintf("larger than the limit of %d bytes (MaxHistoryBytes)", maxHistoryBytes)}
			return "", s.err
		}
		n := len(buf) + len(chunk)
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			n-- // the line's own "\n" is no part of it
		}
		if n > maxHistoryLineBytes {
			s.err = &ParseError{File: s.name, Line: s.lines + 1, Msg: fmt.Sprintf("line longer than the limit of %d bytes (MaxHistoryLineBytes)", maxHistoryLineBytes)}
			return "", s.err
		}
		buf = append(buf, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) == 0:
			s.err = io.EOF
			return "", io.EOF
		case err != nil && err != io.EOF:
			s.err = fmt.Errorf("checker: reading %s: %w", s.name, err)
			return "", s.err
		}
		s.lines++
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		return string(buf), nil
	}
}

// rest returns all that is left of the input, held lines included, or an
// error if it passes limit bytes.
func (s *lineSource) rest(limit int64) ([]byte, error) {
	var b bytes.Buffer
	for _, l := range s.held {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	s.held = nil
	lr := &io.LimitedReader{R: s.r, N: limit - int64(b.Len()) + 1}
	n, err := b.ReadFrom(lr)
	s.read += n
	if err != nil {
		return nil, fmt.Errorf("checker: reading %s: %w", s.name, err)
	}
	if int64(b.Len()) > limit {
		return nil, &ParseError{File: s.name, Msg: fmt.Sprintf("larger than the limit of %d bytes for a history.edn (MaxEDNBytes), which is decoded whole", limit)}
	}
	return b.Bytes(), nil
}

// opSink receives what a parser reads: complete operations (raftsim's
// format), or the calls and completions of an event log, in its order.
type opSink interface {
	setMeta(map[string]string)
	// op takes a complete operation read on line.
	op(line int, op Operation) error
	// call takes an invocation (no outcome yet) and returns its handle;
	// done takes its completion, the whole operation.
	call(line int, op Operation) (int, error)
	done(line, handle int, op Operation) error
	// ops counts the operations taken so far.
	ops() int
}

// collector builds a History in memory.
type collector struct {
	h History
}

func (c *collector) setMeta(m map[string]string) { c.h.Meta = m }

func (c *collector) op(_ int, op Operation) error {
	c.h.Ops = append(c.h.Ops, op)
	return nil
}

func (c *collector) call(_ int, op Operation) (int, error) {
	c.h.Ops = append(c.h.Ops, op)
	return len(c.h.Ops) - 1, nil
}

func (c *collector) done(_, handle int, op Operation) error {
	c.h.Ops[handle] = op
	return nil
}

func (c *collector) ops() int { return len(c.h.Ops) }

// checkSink feeds a Linearizer as the file is read: event logs call and
// complete in their own order; complete operations (raftsim's format) go
// through a heap that puts them in invocation order, holding at most
// ReorderWindow of them.
type checkSink struct {
	name  string
	l     *Linearizer
	f     feeder
	meta  map[string]string
	count int
	// refs holds the open calls of an event log by handle.
	refs map[int]OpRef
	next int
	// early holds complete operations not yet fed, by invocation; fed is
	// the invocation of the last one fed.
	early   invokeHeap
	fed     int64
	started bool
	seq     uint64
}

func newCheckSink(name string, opts LinearizabilityOptions) *checkSink {
	l := NewLinearizer(opts)
	return &checkSink{name: name, l: l, f: feeder{l: l}, refs: map[int]OpRef{}}
}

func (c *checkSink) setMeta(m map[string]string) { c.meta = m }
func (c *checkSink) ops() int                    { return c.count }

func (c *checkSink) op(line int, op Operation) error {
	c.count++
	c.seq++
	heap.Push(&c.early, lineOp{op: op, line: line, seq: c.seq})
	if c.early.Len() > reorderWindow {
		return c.feedOne()
	}
	return nil
}

// feedOne feeds the earliest operation held.
func (c *checkSink) feedOne() error {
	lo := heap.Pop(&c.early).(lineOp)
	if c.started && lo.op.Invoke < c.fed {
		return &ParseError{File: c.name, Line: lo.line, Field: "invoke",
			Msg: fmt.Sprintf("%d: more than %d operations (ReorderWindow) out of invocation order (an operation invoked at %d was checked already)", lo.op.Invoke, reorderWindow, c.fed)}
	}
	c.started, c.fed = true, lo.op.Invoke
	if err := c.f.add(lo.op); err != nil {
		return &ParseError{File: c.name, Line: lo.line, Msg: err.Error()}
	}
	return nil
}

func (c *checkSink) call(line int, op Operation) (int, error) {
	c.count++
	ref, err := c.l.Invoke(op)
	if err != nil {
		return 0, &ParseError{File: c.name, Line: line, Msg: err.Error()}
	}
	c.next++
	c.refs[c.next] = ref
	return c.next, nil
}

func (c *checkSink) done(line, handle int, op Operation) error {
	ref := c.refs[handle]
	delete(c.refs, handle)
	if err := c.l.Complete(ref, op); err != nil {
		return &ParseError{File: c.name, Line: line, Msg: err.Error()}
	}
	return nil
}

// result feeds what is held and returns the verdict.
func (c *checkSink) result() (LinearizabilityResult, error) {
	for c.early.Len() > 0 {
		if err := c.feedOne(); err != nil {
			return LinearizabilityResult{}, err
		}
	}
	if err := c.f.finish(); err != nil {
		return LinearizabilityResult{}, &ParseError{File: c.name, Msg: err.Error()}
	}
	return c.l.Result(), nil
}

type lineOp struct {
	op   Operation
	line int
	seq  uint64
}

// invokeHeap orders operations by invocation, then by line.
type invokeHeap []lineOp

func (h invokeHeap) Len() int { return len(h) }
func (h invokeHeap) Less(i, j int) bool {
	if h[i].op.Invoke != h[j].op.Invoke {
		return h[i].op.Invoke < h[j].op.Invoke
	}
	return h[i].seq < h[j].seq
}
func (h invokeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *invokeHeap) Push(x any)   { *h = append(*h, x.(lineOp)) }
func (h *invokeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// FileCheck is what CheckFile found: the file's format (as detected, for
// FormatAuto), its metadata, and the verdict.
type FileCheck struct {
	Format          Format
	Meta            map[string]string
	Linearizability LinearizabilityResult
}

// CheckFile checks the history file at path for linearizability, reading
// it as a stream: the memory it takes follows the operations in flight,
// not the length of the file (but for a history.edn, decoded whole). Bad
// input is a *ParseError, as for Load.
func CheckFile(path string, format Format, opts LinearizabilityOptions) (FileCheck, error) {
	f, err := openHistoryFile(path)
	if err != nil {
		return FileCheck{}, err
	}
	defer f.Close()
	return CheckReader(path, f, format, opts)
}

// CheckReader is CheckFile on a reader; name is used in errors only.
func CheckReader(name string, r io.Reader, format Format, opts LinearizabilityOptions) (FileCheck, error) {
	if opts.Budget < 0 {
		return FileCheck{}, fmt.Errorf("checker: negative linearizability budget %v", opts.Budget)
	}
	sink := newCheckSink(name, opts)
	format, err := parseStream(name, r, format, sink)
	if err != nil {
		return FileCheck{}, err
	}
	res, err := sink.result()
	if err != nil {
		return FileCheck{}, err
	}
	res.budget = opts.Budget
	return FileCheck{Format: format, Meta: sink.meta, Linearizability: res}, nil
}

// parseStream detects the format if asked to and parses r into sink; it
// returns the format read.
func parseStream(name string, r io.Reader, format Format, sink opSink) (Format, error) {
	src := newLineSource(name, r)
	if format == FormatAuto {
		var err error
		if format, err = detectFormat(src); err != nil {
			return 0, err
		}
	}
	var err error
	switch format {
	case FormatRaftsim:
		err = parseRaftsim(src, sink)
	case FormatPorcupineKV:
		err = parsePorcupineKV(src, sink)
	case FormatJepsenEtcd:
		err = parseJepsenEtcd(src, sink)
	case FormatJepsenEDN:
		var data []byte
		if data, err = src.rest(maxEDNBytes); err == nil {
			err = parseJepsenEDN(name, data, sink)
		}
	default:
		return 0, fmt.Errorf("checker: parsing %s: invalid format %v", name, format)
	}
	return format, err
}

// detectFormat looks at the first non-blank line: our format, porcupine's
// and Jepsen's history.edn all start with a map, told apart by JSON's
// quoted keys and EDN's keywords, and among EDN maps by porcupine's :key
// or its :get/:put/:append (Jepsen's register has no key and reads,
// writes and compares-and-sets). A history.edn may also be one vector of
// maps, or maps tagged as Jepsen's Op records. Jepsen logs may open with
// log noise, so they are recognized by the logger name on a later line,
// within the first DetectLines lines and DetectBytes bytes. The lines
// read stay held for the parser.
func detectFormat(src *lineSource) (Format, error) {
	name := src.name
	first, held := -1, 0
	for i := 0; ; i++ {
		if i == len(src.held) {
			if i == detectLines || held >= detectBytes {
				return 0, &ParseError{File: name, Line: first + 1, Msg: fmt.Sprintf("cannot detect the history format in the first %d lines or %d bytes (DetectLines, DetectBytes): no Jepsen logger name %q; name the format explicitly", detectLines, detectBytes, strings.TrimSpace(jepsenMarker))}
			}
			line, err := src.readLine()
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, err
			}
			src.held = append(src.held, line)
			held += len(line)
		}
		l := src.held[i]
		if first >= 0 {
			if strings.Contains(l, jepsenMarker) {
				return FormatJepsenEtcd, nil
			}
			continue
		}
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		first = i
		if rest, ok := strings.CutPrefix(t, "{"); ok {
			rest = strings.TrimLeft(rest, " \t,")
			switch {
			case strings.HasPrefix(rest, `"`):
				return FormatRaftsim, nil
			case strings.HasPrefix(rest, ":") && isPorcupineKVLine(t):
				return FormatPorcupineKV, nil
			case strings.HasPrefix(rest, ":"):
				return FormatJepsenEDN, nil
			}
			return 0, &ParseError{File: name, Line: i + 1, Msg: "cannot detect the history format: the line opens a map that is neither JSON nor EDN"}
		}
		if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "#jepsen") || strings.HasPrefix(t, ";") {
			return FormatJepsenEDN, nil
		}
		if strings.Contains(l, jepsenMarker) {
			return FormatJepsenEtcd, nil
		}
	}
	if first < 0 {
		return 0, &ParseError{File: name, Msg: "empty history file"}
	}
	return 0, &ParseError{File: name, Line: first + 1, Msg: "cannot detect the history format (raftsim JSON lines, porcupine kv maps or a Jepsen log); name it explicitly"}
}
