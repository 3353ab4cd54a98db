package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeInventory writes an inventory file of serials, with a comment and a
// blank line as the format allows.
func writeInventory(t *testing.T, serials ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "floor.txt")
	body := "# the test floor\n\n" + strings.Join(serials, "\n") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestListExpectedMissing: an expected fixture that does not answer is a
// "missing" row, in JSON and in the table, and list exits 3 saying so;
// those that answer are listed as usual.
func TestListExpectedMissing(t *testing.T) {
	fs := []*fixture{startFixture(t), startFixture(t)}
	ghost := uniqueSerial()
	inv := writeInventory(t, fs[0].serial, ghost, fs[1].serial)
	out, errOut := wantCode(t, exitTimeout, "list", "--expected", inv, "--timeout", "2s", "-o", "json")
	var entries []listEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]listEntry{}
	for _, e := range entries {
		got[e.Serial] = e
	}
	if e := got[ghost]; e.Outcome != "missing" || e.Stats != "not_asked" || e.Connected {
		t.Errorf("ghost's entry %+v, want outcome missing", e)
	}
	for _, f := range fs {
		if e := got[f.serial]; e.Outcome != "ok" || !e.Connected {
			t.Errorf("%s: entry %+v", f.serial, e)
		}
	}
	if !strings.Contains(errOut, "missing: 1 of the 3 expected fixtures") || !strings.Contains(errOut, ghost) {
		t.Errorf("stderr: %q", errOut)
	}
	text, _ := wantCode(t, exitTimeout, "list", "--expected", inv, "--timeout", "2s")
	if !strings.Contains(text, ghost+"  (missing: expected, did not answer)") || !strings.Contains(text, fs[0].serial) {
		t.Errorf("table:\n%s", text)
	}
}

// TestListExpectedAll: when every expected fixture answers, list exits 0,
// and stops collecting then rather than at its (long) --timeout.
func TestListExpectedAll(t *testing.T) {
	fs := []*fixture{startFixture(t), startFixture(t)}
	inv := writeInventory(t, fs[0].serial, fs[1].serial)
	start := time.Now()
	out, _ := wantCode(t, exitOK, "list", "--expected", inv, "--timeout", "20s", "-o", "json")
	if time.Since(start) > 10*time.Second {
		t.Errorf("list waited %v: it did not stop once every expected fixture answered", time.Since(start))
	}
	if strings.Contains(out, `"missing"`) {
		t.Errorf("a missing entry although all answered:\n%s", out)
	}
}

// TestListExpectedBadFile: an unreadable or invalid inventory is a usage
// error, with the bad line named.
func TestListExpectedBadFile(t *testing.T) {
	wantCode(t, exitUsage, "list", "--expected", filepath.Join(t.TempDir(), "none.txt"))
	_, errOut := wantCode(t, exitUsage, "list", "--expected", writeInventory(t, "JIG-1", "bad.serial"))
	if !strings.Contains(errOut, "line 4") {
		t.Errorf("stderr: %q", errOut)
	}
}
