package strictyaml

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
)

type inner struct {
	Port  string        `yaml:"port"`
	Baud  int           `yaml:"baud"`
	Every time.Duration `yaml:"every"`
}

type files struct {
	CA string `yaml:"ca"`
}

type item struct {
	Name string `yaml:"name"`
	On   bool   `yaml:"on"`
}

type root struct {
	Serial string `yaml:"serial"`
	Fix    inner  `yaml:"fixture"`
	Items  []item `yaml:"items"`
	TLS    struct {
		files `yaml:",inline"`
	} `yaml:"tls"`
	Labels map[string]int `yaml:"labels"`
	Hidden string         `yaml:"-"`
}

// TestDecodeProblems: each problem under its key path, with its line; the
// rest of the file decoded.
func TestDecodeProblems(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"clean", "serial: A\nfixture: {port: /dev/x, baud: 9600, every: 1s}\n", nil},
		{"empty", "", nil},
		{"unknown keys", "serial: A\nfixture:\n  querytimeout: 2s\n  port: /dev/x\nextra: 1\nHidden: x\n",
			[]string{"fixture.querytimeout: unknown key (line 3)", "extra: unknown key (line 5)",
				"Hidden: unknown key (line 6)"}},
		{"types", "fixture:\n  baud: fast\n  every: 5\nitems:\n  - {name: a, on: maybe}\n",
			[]string{`fixture.baud: "fast" is not an integer (line 2)`,
				`fixture.every: "5" is not a duration (e.g. 250ms, 5s, 1h) (line 3)`,
				`items[0].on: "maybe" is not true or false (line 5)`}},
		{"no conversions", "fixture:\n  baud: 1.5\nlabels: {x: 1e3}\nitems:\n  - {name: a, on: yes}\n  - {name: b, on: \"true\"}\n",
			[]string{`fixture.baud: "1.5" is not an integer (line 2)`, `labels.x: "1e3" is not an integer (line 3)`,
				`items[0].on: "yes" is not true or false (line 5)`, `items[1].on: "true" is not true or false (line 6)`}},
		{"same value, one line, only the int", "fixture: {port: fast, baud: fast}\n",
			[]string{`fixture.baud: "fast" is not an integer (line 1)`}},
		{"shapes", "fixture: 5\nitems: {name: a}\nserial: [a]\nlabels: {x: 1, y: z}\n",
			[]string{`fixture: "5" is not a mapping (line 1)`, "items: a mapping is not a list (line 2)",
				"serial: a list is not a string (line 3)", `labels.y: "z" is not an integer (line 4)`}},
		{"inline and repeated", "tls: {ca: x, cert: y}\nserial: A\nserial: B\n",
			[]string{"tls.cert: unknown key (line 1)", "serial: repeated key, first at line 2 (line 3)"}},
		{"alias", "base: &b {port: /dev/x, baud: fast}\n", []string{"base: unknown key (line 1)"}},
		{"alias used", "fixture: &b {port: /dev/x, baud: fast}\nitems: [{name: *b}]\n",
			[]string{`fixture.baud: "fast" is not an integer (line 1)`, "items[0].name: a mapping is not a string (line 1)"}},
	} {
		var v root
		err := Decode([]byte(tc.yaml), &v)
		if got := lines(err); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if !keypath.Partial(err) {
			t.Errorf("%s: %v is not a partial decode", tc.name, err)
		}
	}
}

func TestDecodeKeepsTheRest(t *testing.T) {
	v := root{Fix: inner{Baud: 115200}}
	err := Decode([]byte("serial: A\nfixture: {port: /dev/x, baud: fast, every: 2s}\nbogus: 1\n"), &v)
	if len(lines(err)) != 2 {
		t.Fatalf("want 2 problems: %v", err)
	}
	if v.Serial != "A" || v.Fix.Port != "/dev/x" || v.Fix.Baud != 115200 || v.Fix.Every != 2*time.Second {
		t.Errorf("decoded %+v: want the rest decoded, baud left at its value", v)
	}
}

// TestDecodeRepeatedKeysKeepTheRest: a key given twice, in a struct's
// mapping or a map's, is one problem, the first value kept; the rest of
// its mapping, and of the file, decodes and is checked as usual. yaml.v3
// alone decodes nothing of a mapping with a repeated key, so a file whose
// serial was given twice reported its fixture.port missing too.
func TestDecodeRepeatedKeysKeepTheRest(t *testing.T) {
	v := root{Fix: inner{Baud: 1}}
	err := Decode([]byte("serial: A\nserial: B\nfixture: {port: /dev/x, port: /dev/y, every: 2s}\n"+
		"labels: {x: 1, x: 2, y: 3}\nitems: [{name: a, name: b, on: true}]\nfixture: {baud: fast}\nbogus: 1\n"), &v)
	want := []string{"serial: repeated key, first at line 1 (line 2)",
		"fixture.port: repeated key, first at line 3 (line 3)",
		"labels.x: repeated key, first at line 4 (line 4)",
		"items[0].name: repeated key, first at line 5 (line 5)",
		"fixture: repeated key, first at line 3 (line 6)", "bogus: unknown key (line 7)"}
	if got := lines(err); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if v.Serial != "A" || v.Fix != (inner{Port: "/dev/x", Baud: 1, Every: 2 * time.Second}) ||
		fmt.Sprint(v.Labels) != "map[x:1 y:3]" || fmt.Sprint(v.Items) != "[{a true}]" {
		t.Errorf("decoded %+v: want the rest decoded, each first value kept", v)
	}
}

func TestDecodeSyntaxError(t *testing.T) {
	var v root
	err := Decode([]byte("serial: [A\n"), &v)
	if err == nil || keypath.Partial(err) {
		t.Fatalf("want a plain error, not a partial decode: %v", err)
	}
}

func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
