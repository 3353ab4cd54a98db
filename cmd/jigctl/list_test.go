package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestList finds every manager the test started. Managers of other test
// runs may share the broker, so it checks a superset.
func TestList(t *testing.T) {
	fs := []*fixture{startFixture(t), startFixture(t), startFixture(t)}
	wantCode(t, exitOK, "status", fs[0].serial) // so that one has a last read
	out, _ := wantCode(t, exitOK, "list", "--timeout", "2s", "-o", "json")
	found := entriesBySerial(t, out)
	for i, f := range fs {
		e, ok := found[f.serial]
		if !ok {
			t.Errorf("list did not find %s", f.serial)
			continue
		}
		if e.Outcome != "ok" || e.Version != "test" || e.Port != f.link || !e.Connected || e.Stats != "ok" {
			t.Errorf("entry %+v", e)
		}
		if (e.LastReadAt != nil) != (i == 0) {
			t.Errorf("%s: last_read_at %v", f.serial, e.LastReadAt)
		}
	}
	text, _ := wantCode(t, exitOK, "list", "--timeout", "2s")
	lines := strings.Split(text, "\n")
	if !strings.HasPrefix(lines[0], "SERIAL") || !strings.Contains(lines[0], "LAST-READ") {
		t.Errorf("no header: %q", lines[0])
	}
	for _, f := range fs {
		if !strings.Contains(text, f.serial) {
			t.Errorf("table lacks %s:\n%s", f.serial, text)
		}
	}
}

// TestListExpect: --expect N ends the collection once N have answered,
// with exit 0; an --expect more than answer can is a timeout, exit 3,
// with what was found still printed. No timing is asserted.
func TestListExpect(t *testing.T) {
	fs := []*fixture{startFixture(t), startFixture(t)}
	out, _ := wantCode(t, exitOK, "list", "--expect", "2", "--timeout", "20s", "-o", "json")
	var entries []listEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("--expect 2 gave %d entries (%v)\n%s", len(entries), err, out)
	}
	out, errOut := wantCode(t, exitTimeout, "list", "--expect", strconv.Itoa(1<<20), "--timeout", "1s")
	for _, f := range fs {
		if !strings.Contains(out, f.serial) {
			t.Errorf("table lacks %s:\n%s", f.serial, out)
		}
	}
	if !strings.Contains(errOut, "expected managers answered") {
		t.Errorf("stderr: %q", errOut)
	}
}

func TestListUnreachable(t *testing.T) {
	_, errOut := wantCode(t, exitUnreachable, "list", "--url", "amqp://guest:guest@127.0.0.1:1/")
	if !strings.Contains(errOut, "unreachable") {
		t.Errorf("stderr: %q", errOut)
	}
	wantCode(t, exitUsage, "list", "--expect", "-1")
}

// TestLastReadColumn: "-" when Stats did not answer, "never" when the
// manager has not read its fixture yet, else the age of the last read.
func TestLastReadColumn(t *testing.T) {
	now := time.Now()
	read := now.Add(-3 * time.Second)
	cases := []struct {
		e    listEntry
		want string
	}{
		{listEntry{Stats: "timeout"}, "-"},
		{listEntry{Stats: "not_asked"}, "-"},
		{listEntry{Stats: "ok"}, "never"},
		{listEntry{Stats: "ok", LastReadAt: &read}, "3s ago"},
	}
	for _, c := range cases {
		if got := c.e.lastRead(now); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

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
	got := entriesBySerial(t, out)
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

// entriesBySerial decodes list -o json's output, by serial.
func entriesBySerial(t *testing.T, out string) map[string]listEntry {
	t.Helper()
	var entries []listEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	by := map[string]listEntry{}
	for _, e := range entries {
		by[e.Serial] = e
	}
	return by
}

// TestListInterruptedShowsAnswers: Ctrl-C after a manager answered shows
// it (with -o json, its entry), and exits 130, instead of throwing away
// what list had.
func TestListInterruptedShowsAnswers(t *testing.T) {
	f := startFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialTest(t, ctx)
	var out []listEntry
	code, _ := interruptedOut(t, []string{"list", "--timeout", "25s", "-o", "json"}, &out, func() {
		// list asks each manager that answered for its Stats: once f's
		// manager has served one more Stats than this loop asked for, its
		// answer to the broadcast has reached list.
		for asked := uint64(0); ; asked++ {
			st, err := c.Stats(ctx, f.serial)
			if err != nil {
				t.Fatal(err)
			}
			if st.Server.Methods["Stats"].Requests > asked {
				return
			}
		}
	})
	found := false
	for _, e := range out {
		found = found || e.Serial == f.serial && e.Outcome == "ok"
	}
	if code != exitInterrupted || !found {
		t.Fatalf("exit %d, entries %+v: want 130 and %s", code, out, f.serial)
	}
}
