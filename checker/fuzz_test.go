package checker

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fuzzParse is the property every parser must keep on any input: no
// panic; failures are *ParseError; and whatever parses is a valid history
// that our own format writes and reads back unchanged.
func fuzzParse(t *testing.T, data []byte, format Format) {
	h, err := Parse("fuzz", bytes.NewReader(data), format)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not a *ParseError: %v", err)
		}
		if pe.File != "fuzz" || pe.Line < 0 || pe.Msg == "" {
			t.Fatalf("malformed ParseError %+v", pe)
		}
		return
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, h); err != nil {
		t.Fatalf("parsed history cannot be written: %v", err)
	}
	back, err := Parse("fuzz", &buf, FormatRaftsim)
	if err != nil {
		t.Fatalf("written history cannot be read: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(back.Ops, h.Ops) || !maps.Equal(back.Meta, h.Meta) {
		t.Fatalf("round trip changed the history:\n got %+v\nwant %+v", back, h)
	}
}

// addFixtureSeeds seeds the corpus with the first lines of real files.
func addFixtureSeeds(f *testing.F, pattern string) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, pattern))
	for _, p := range paths[:min(3, len(paths))] {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitAfterN(string(data), "\n", 41)
		f.Add([]byte(strings.Join(lines[:min(40, len(lines))], "")))
	}
}

func FuzzParseRaftsim(f *testing.F) {
	var buf bytes.Buffer
	h := everyShape()
	if err := WriteHistory(&buf, h); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(header))
	f.Add([]byte(header + `{"client":1,"seq":1,"kind":"get","key":"k","invoke":1,"complete":2,"outcome":"ok","found_unknown":true,"output":"v"}`))
	f.Add([]byte(`{"format":"raftsim-history","version":1,"meta":{}}` + "\n\n"))
	f.Add([]byte(`{"client":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, FormatRaftsim) })
}

func FuzzParsePorcupineKV(f *testing.F) {
	addFixtureSeeds(f, "kv/*.txt")
	f.Add([]byte(`{:process 0, :type :invoke, :f :get, :key "k", :value nil}` + "\n" +
		`{:process 0, :type :info, :f :get, :key "k", :value :timeout}`))
	f.Add([]byte(`{:process 0 :type :invoke :f :put :key "a\"b\\c" :value "\n"}`))
	f.Add([]byte(`{:process 99999999999999999999}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, FormatPorcupineKV) })
}

func FuzzParseJepsenEtcd(f *testing.F) {
	addFixtureSeeds(f, "jepsen/etcd_*.log")
	f.Add([]byte("INFO  jepsen.util - :nemesis\t:info\t:start\tnil\nINFO  jepsen.util - 1\t:invoke\t:cas\t[1, 2]"))
	f.Add([]byte("INFO  jepsen.util - 1\t:invoke\t:read\tnil\r\nINFO  jepsen.util - 1\t:ok\t:read\t-9223372036854775808\r\n"))
	f.Add([]byte("x :invoke y"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, FormatJepsenEtcd) })
}

func FuzzParseJepsenEDN(f *testing.F) {
	addFixtureSeeds(f, "../jepsen/*.edn")
	f.Add([]byte(`[{:type :invoke, :f :read, :value [1 nil], :process 0} {:type :ok, :f :read, :value [1 3], :process 0}]`))
	f.Add([]byte(`#jepsen.history.Op{:type :invoke, :f :cas, :value [1 [2 3]], :process 5} ; c`))
	f.Add([]byte(`{:type :info :f :write :process 0 :value 99999999999999999999N}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, FormatJepsenEDN) })
}

func FuzzParseAuto(f *testing.F) {
	f.Add([]byte(header))
	f.Add([]byte(`{:process 0, :type :invoke, :f :get, :key "k", :value nil}`))
	f.Add([]byte("INFO  jepsen.util - 0\t:invoke\t:read\tnil"))
	f.Add([]byte("{ ,"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, FormatAuto) })
}
