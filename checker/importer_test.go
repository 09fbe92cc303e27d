package checker

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fixtures = "../testdata/porcupine"

// TestPorcupineKVFixtures checks that each of porcupine's key-value
// histories gets its known verdict.
func TestPorcupineKVFixtures(t *testing.T) {
	for _, name := range []string{"c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(fixtures, "kv", name+".txt")
			h, err := Load(path, FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Meta["imported_from"]; got != "porcupine-kv" {
				t.Fatalf("detected as %q", got)
			}
			res := check(t, h)
			want := VerdictOK
			if strings.HasSuffix(name, "-bad") {
				want = VerdictIllegal
			}
			if res.Verdict != want || want == VerdictIllegal && !res.Located {
				t.Fatalf("%s: %v, want %v", path, res, want)
			}
		})
	}
}

// TestJepsenEtcdFixtures checks every Jepsen log against expected.txt.
func TestJepsenEtcdFixtures(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtures, "jepsen", "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		num, verdict, ok := strings.Cut(sc.Text(), " ")
		if !ok || verdict != "true" && verdict != "false" {
			t.Fatalf("expected.txt: bad line %q", sc.Text())
		}
		n++
		path := filepath.Join(fixtures, "jepsen", "etcd_"+num+".log")
		h, err := Load(path, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Meta["imported_from"]; got != "jepsen-etcd" {
			t.Fatalf("%s: detected as %q", path, got)
		}
		want := VerdictIllegal
		if verdict == "true" {
			want = VerdictOK
		}
		if res := check(t, h); res.Verdict != want {
			t.Errorf("%s: %v, want %v", path, res, want)
		}
	}
	if n != 20 {
		t.Fatalf("expected.txt lists %d logs, want 20", n)
	}
}

func TestParsePorcupineKV(t *testing.T) {
	text := `{:process 0, :type :invoke, :f :put, :key "k", :value "a b"}
{:process 1, :type :invoke, :f :get, :key "k", :value nil}
{:process 0, :type :ok, :f :put, :key "k", :value "a b"}

{:process 1, :type :ok, :f :get, :key "k", :value "a b"}
{:process 0, :type :invoke, :f :append, :key "k", :value "\"q\""}
{:process 1 :type :invoke :f :get :key "k" :value nil}
{:process 1, :type :fail, :f :get, :key "k", :value nil}
`
	h, err := Parse("kv.txt", strings.NewReader(text), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{
		{ClientID: 0, Seq: 1, Kind: OpPut, Key: "k", Value: "a b", Invoke: 1, Complete: 3, Outcome: OutcomeOK},
		{ClientID: 1, Seq: 1, Kind: OpGet, Key: "k", Invoke: 2, Complete: 5, Outcome: OutcomeOK, FoundUnknown: true, Output: "a b"},
		// Still open when the log ends (8 lines): unknown.
		{ClientID: 0, Seq: 2, Kind: OpAppend, Key: "k", Value: `"q"`, Invoke: 6, Complete: 9, Outcome: OutcomeUnknown},
		{ClientID: 1, Seq: 2, Kind: OpGet, Key: "k", Invoke: 7, Complete: 8, Outcome: OutcomeFail},
	}
	if !reflect.DeepEqual(h.Ops, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", h.Ops, want)
	}
}

func TestParsePorcupineKVErrors(t *testing.T) {
	inv := `{:process 0, :type :invoke, :f :put, :key "k", :value "v"}` + "\n"
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"missing key", `{:process 0, :type :invoke, :f :put, :value "v"}`, 1, "key", "missing"},
		{"unknown key", `{:process 0, :type :invoke, :f :put, :key "k", :value "v", :time 5}`, 1, "time", "unknown key"},
		{"duplicate key", `{:process 0, :process 1, :type :invoke, :f :put, :key "k", :value "v"}`, 1, "process", "duplicate"},
		{"bad type", `{:process 0, :type :begin, :f :put, :key "k", :value "v"}`, 1, "type", ":begin"},
		{"bad f", `{:process 0, :type :invoke, :f :cas, :key "k", :value "v"}`, 1, "f", ":cas"},
		{"negative process", `{:process -1, :type :invoke, :f :put, :key "k", :value "v"}`, 1, "process", "process number"},
		{"numeric key", `{:process 0, :type :invoke, :f :put, :key 5, :value "v"}`, 1, "key", "want a string"},
		{"get invoked with a value", `{:process 0, :type :invoke, :f :get, :key "k", :value "v"}`, 1, "value", "nil"},
		{"put of nil", `{:process 0, :type :invoke, :f :put, :key "k", :value nil}`, 1, "value", "want a string"},
		{"unclosed string", `{:process 0, :type :invoke, :f :put, :key "k, :value nil}`, 1, "key", "not closed"},
		{"unclosed map", `{:process 0, :type :invoke`, 1, "", "not closed"},
		{"trailing data", inv[:len(inv)-1] + " x", 1, "", "trailing"},
		{"not a map", "process 0 invoke", 1, "", "want a map"},
		{"bad escape", `{:process 0, :type :invoke, :f :put, :key "k", :value "\u0041"}`, 1, "value", "escape"},
		{"completion without invocation", `{:process 3, :type :ok, :f :put, :key "k", :value "v"}`, 1, "type", "never invoked"},
		{"double invocation", inv + "\n" + inv, 3, "type", "line 1 is still open"},
		{"completion of another f", inv + `{:process 0, :type :ok, :f :append, :key "k", :value "v"}`, 2, "f", "invoked a put"},
		{"completion of another key", inv + `{:process 0, :type :ok, :f :put, :key "j", :value "v"}`, 2, "key", "invoked key"},
		{"completion of another value", inv + `{:process 0, :type :ok, :f :put, :key "k", :value "w"}`, 2, "value", "differ"},
		{"get returns nil", `{:process 0, :type :invoke, :f :get, :key "k", :value nil}` + "\n" + `{:process 0, :type :ok, :f :get, :key "k", :value nil}`, 2, "value", "want the string read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kv.txt", strings.NewReader(tt.text), FormatPorcupineKV)
			assertParseError(t, err, "kv.txt", tt.line, tt.field, tt.msg)
		})
	}
}

func TestParseJepsenEtcd(t *testing.T) {
	text := "2024-01-01 INFO  jepsen.core - Running test\n" +
		"INFO  jepsen.util - 0\t:invoke\t:write\t3\n" +
		"INFO  jepsen.util - 1  :invoke  :read  nil\n" +
		"INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n" +
		"INFO  jepsen.util - 0\t:ok\t:write\t3\n" +
		"INFO  jepsen.util - 1\t:ok\t:read\t3\n" +
		"INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]\n" +
		"INFO  jepsen.util - 3\t:invoke\t:cas\t[1, 2]\n" +
		"INFO  jepsen.util - 2\t:info\t:cas\t:timed-out\n" +
		"INFO  jepsen.util - 3\t:fail\t:cas\t[1 2]\n" +
		"INFO  jepsen.util - 4\t:invoke\t:read\tnil\n" +
		"INFO  jepsen.util - 4\t:ok\t:read\tnil\n" +
		"INFO  jepsen.util - 5\t:invoke\t:cas\t[4 -5]\n" +
		"INFO  jepsen.util - 5\t:ok\t:cas\t[4 -5]\n" +
		"INFO  jepsen.util - 6\t:invoke\t:write\t7\n" +
		"INFO  jepsen.util - 7\t:invoke\t:read\tnil\n" +
		"INFO  jepsen.util - 7\t:fail\t:read\t:timed-out\n" +
		"INFO  jepsen.util - 8\t:invoke\t:write\t9\n" +
		"INFO  jepsen.util - 8\t:info\t:write\n" +
		"INFO  jepsen.util - 9\t:invoke\t:cas\t[1 2]\n" +
		"INFO  jepsen.util - 9\t:info\t:cas\tnil\n" +
		"INFO  jepsen.util - 10\t:invoke\t:write\t5\n" +
		"INFO  jepsen.util - 10\t:fail\t:write\t:timed-out\n" +
		"WARN  jepsen.util - Timing out stragglers\n" +
		"INFO jepsen.core - Run complete, writing\n"
	h, err := Parse("etcd.log", strings.NewReader(text), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	const r = "register"
	want := []Operation{
		{ClientID: 0, Seq: 1, Kind: OpPut, Key: r, Value: "3", Invoke: 2, Complete: 5, Outcome: OutcomeOK},
		{ClientID: 1, Seq: 1, Kind: OpGet, Key: r, Invoke: 3, Complete: 6, Outcome: OutcomeOK, Found: true, Output: "3"},
		{ClientID: 2, Seq: 1, Kind: OpCAS, Key: r, Expected: "3", Value: "4", Invoke: 7, Complete: 9, Outcome: OutcomeUnknown},
		{ClientID: 3, Seq: 1, Kind: OpCAS, Key: r, Expected: "1", Value: "2", Invoke: 8, Complete: 10, Outcome: OutcomeFail},
		{ClientID: 4, Seq: 1, Kind: OpGet, Key: r, Invoke: 11, Complete: 12, Outcome: OutcomeOK},
		{ClientID: 5, Seq: 1, Kind: OpCAS, Key: r, Expected: "4", Value: "-5", Invoke: 13, Complete: 14, Outcome: OutcomeOK, Swapped: true},
		// Open when the log ends (25 lines): unknown.
		{ClientID: 6, Seq: 1, Kind: OpPut, Key: r, Value: "7", Invoke: 15, Complete: 26, Outcome: OutcomeUnknown},
		// A failed read whose value is the reason; an :info with no value
		// and one with nil; a failed write naming its reason.
		{ClientID: 7, Seq: 1, Kind: OpGet, Key: r, Invoke: 16, Complete: 17, Outcome: OutcomeFail},
		{ClientID: 8, Seq: 1, Kind: OpPut, Key: r, Value: "9", Invoke: 18, Complete: 19, Outcome: OutcomeUnknown},
		{ClientID: 9, Seq: 1, Kind: OpCAS, Key: r, Expected: "1", Value: "2", Invoke: 20, Complete: 21, Outcome: OutcomeUnknown},
		{ClientID: 10, Seq: 1, Kind: OpPut, Key: r, Value: "5", Invoke: 22, Complete: 23, Outcome: OutcomeFail},
	}
	if !reflect.DeepEqual(h.Ops, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", h.Ops, want)
	}
	// The read of nil after the write of 3 is a violation; only the
	// jepsen mapping of nil to "not found" catches it.
	if res := check(t, h); res.Verdict != VerdictIllegal {
		t.Fatalf("got %v, want illegal: a read of nil after a completed write", res)
	}
}

func TestParseJepsenEtcdErrors(t *testing.T) {
	const p = "INFO  jepsen.util - "
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"bad process", p + ":client\t:invoke\t:read\tnil", 1, "process", ":nemesis"},
		{"bad type", "noise\n" + p + "0\t:begin\t:read\tnil", 2, "type", ":begin"},
		{"bad f", p + "0\t:invoke\t:delete\tnil", 1, "f", ":delete"},
		{"missing value", p + "0\t:invoke\t:read", 1, "value", "missing"},
		{"ok without value", p + "0\t:invoke\t:write\t3\n" + p + "0\t:ok\t:write", 2, "value", "missing"},
		{"fail of another value", p + "0\t:invoke\t:write\t3\n" + p + "0\t:fail\t:write\t4", 2, "value", "differ"},
		{"read invoked with a value", p + "0\t:invoke\t:read\t3", 1, "value", "nil"},
		{"write of nil", p + "0\t:invoke\t:write\tnil", 1, "value", "integer"},
		{"write of a word", p + "0\t:invoke\t:write\tfive", 1, "value", "integer"},
		{"cas with one element", p + "0\t:invoke\t:cas\t[3]", 1, "value", "[old new]"},
		{"cas unbracketed", p + "0\t:invoke\t:cas\t3 4", 1, "value", "[old new]"},
		{"read of a word", p + "0\t:invoke\t:read\tnil\n" + p + "0\t:ok\t:read\tfive", 2, "value", "integer"},
		{"ok of another value", p + "0\t:invoke\t:write\t3\n" + p + "0\t:ok\t:write\t4", 2, "value", "differ"},
		{"ok of another f", p + "0\t:invoke\t:write\t3\n" + p + "0\t:ok\t:cas\t[3 4]", 2, "f", "invoked a put"},
		{"completion without invocation", p + "0\t:ok\t:write\t3", 1, "type", "never invoked"},
		{"op without log prefix", "INFO  jepsen.util - 0\t:invoke\t:write\t3\n0\t:ok\t:write\t3", 2, "", "prefix"},
		{"only noise", "INFO  jepsen.util - starting\nINFO  jepsen.core - done\n", 0, "", "no client operations"},
		{"only nemesis", p + ":nemesis\t:info\t:start\tnil", 0, "", "no client operations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("etcd.log", strings.NewReader(tt.text), FormatJepsenEtcd)
			assertParseError(t, err, "etcd.log", tt.line, tt.field, tt.msg)
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		text string
		want Format
		msg  string // if detection fails
	}{
		{"\n" + header, FormatRaftsim, ""},
		{`{:process 0, :type :invoke, :f :get, :key "k", :value nil}`, FormatPorcupineKV, ""},
		{"{ , :process 0, :type :invoke, :f :get, :key \"k\", :value nil}", FormatPorcupineKV, ""},
		{"log opens\nINFO  jepsen.util - 0\t:invoke\t:read\tnil", FormatJepsenEtcd, ""},
		{"{:type :invoke, :f :read, :value nil, :process 0}", FormatJepsenEDN, ""},
		{"[{:type :invoke, :f :read, :value nil, :process 0}]", FormatJepsenEDN, ""},
		{"#jepsen.history.Op{:type :invoke, :f :read, :value nil, :process 0}", FormatJepsenEDN, ""},
		{"; history\n{:type :invoke, :f :read, :value nil, :process 0}", FormatJepsenEDN, ""},
		{"", 0, "empty"},
		{"  \n\n", 0, "empty"},
		{"# a README\nnothing here", 0, "cannot detect"},
		{"{5}", 0, "neither JSON nor EDN"},
	}
	for _, tt := range tests {
		got, err := detectFormat(newLineSource("f", strings.NewReader(tt.text)))
		if tt.msg != "" {
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q: got %v, %v; want an error containing %q", tt.text, got, err, tt.msg)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: detected %v, %v; want %v", tt.text, got, err, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for f := FormatAuto; f < formatLimit; f++ {
		if got, err := ParseFormat(f.String()); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := ParseFormat("edn"); err == nil {
		t.Error("ParseFormat accepted an unknown name")
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "absent.jsonl"), FormatAuto); err == nil {
		t.Fatal("loading a missing file succeeded")
	}
}

func TestLinesCRLF(t *testing.T) {
	src := newLineSource("f", strings.NewReader("a\r\nb\n\nc"))
	var got []string
	for {
		line, n, ok, err := src.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if n != len(got)+1 {
			t.Fatalf("line %q numbered %d, want %d", line, n, len(got)+1)
		}
		got = append(got, line)
	}
	if want := []string{"a", "b", "", "c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
