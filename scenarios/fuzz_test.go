package scenarios

import (
	"reflect"
	"testing"
)

// FuzzParse: no input makes Parse panic, and whatever it accepts encodes to
// a file that parses back to the same scenario. The corpus starts from
// every built-in file.
func FuzzParse(f *testing.F) {
	for _, s := range Builtins() {
		src, _ := BuiltinSource(s.Name)
		f.Add(src)
	}
	f.Add(Encode(Generate(1, GenerateOptions{})))
	f.Add([]byte("nodes = 3\n[[timeline]]\nat = \"1s\"\naction = \"partition\"\ngroups = [[1], [2, 3]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.toml", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		p, err := Parse("again.toml", Encode(s))
		if err != nil {
			t.Fatalf("accepted input encodes to a file that does not parse: %v\n%s", err, Encode(s))
		}
		if !reflect.DeepEqual(p, s) {
			t.Fatalf("round trip differs:\n%s", Encode(s))
		}
	})
}
