package sim_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig/sim"
)

// client opens the board's link as a plain terminal client.
func client(t *testing.T, link string) (*os.File, *bufio.Reader) {
	t.Helper()
	f, err := os.OpenFile(link, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatalf("pty not pollable: %v", err)
	}
	return f, bufio.NewReader(f)
}

func ask(t *testing.T, f *os.File, r *bufio.Reader, cmd string) string {
	t.Helper()
	if _, err := f.WriteString(cmd + "\n"); err != nil {
		t.Fatal(err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimRight(line, "\r\n")
}

func TestProtocol(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-0001")
	b, err := sim.Start(link, sim.Config{Identity: "X,Y,Z,1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if target, err := os.Readlink(link); err != nil || target != b.Path() || !strings.HasPrefix(target, "/dev/pts/") {
		t.Fatalf("link -> %q (%v), board at %q", target, err, b.Path())
	}
	f, r := client(t, link)
	// No echo: the first line read is the answer, not the command.
	for cmd, want := range map[string]string{
		"*IDN?": "X,Y,Z,1", "stat?": sim.DefaultState, "MEAS:TEMP?": "23.5",
		"SYST:ERR?": `0,"No error"`, "FOO?": `ERR -113,"Undefined header"`,
	} {
		if got := ask(t, f, r, cmd); got != want {
			t.Errorf("%s -> %q, want %q", cmd, got, want)
		}
	}
	b.SetState("BUSY")
	if got := ask(t, f, r, "STAT?"); got != "BUSY" {
		t.Errorf("STAT? -> %q after SetState", got)
	}
	b.SetFault(sim.FaultError)
	if got := ask(t, f, r, "STAT?"); got != `ERR -100,"Command error"` {
		t.Errorf("error fault -> %q", got)
	}
	if q := b.Queries(); q != 7 {
		t.Errorf("Queries() = %d, want 7", q)
	}
}

// TestUnplugReplug: Close removes the link and hangs up the client; a
// board started at the same link has a new pty, and closing the old board
// late leaves the new link alone.
func TestUnplugReplug(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-0001")
	b1, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, r := client(t, link)
	ask(t, f, r, "*IDN?")
	b2, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Path() == b1.Path() {
		t.Errorf("both boards on %s", b1.Path())
	}
	for range 2 {
		if err := b1.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if _, err := f.Read(make([]byte, 1)); err == nil {
		t.Error("client of the unplugged board can still read")
	}
	if target, _ := os.Readlink(link); target != b2.Path() {
		t.Errorf("link -> %q, want the new board %q", target, b2.Path())
	}
	b2.Close()
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Errorf("link still there after unplug: %v", err)
	}
}

// TestStartRefusesNonSymlink: a board never replaces what is not a
// symlink at its link path (a file, a directory), nor a symlink to what is
// not a pseudo-terminal (a udev link to an adapter); it says so, and they
// are left as they were. A stale symlink (a dead board's) is replaced.
func TestStartRefusesNonSymlink(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("important"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{file: "a regular file", dir: "a folder"} {
		b, err := sim.Start(path, sim.Config{}, nil)
		if err == nil {
			b.Close()
			t.Fatalf("Start(%s) replaced it", path)
		}
		if !strings.Contains(err.Error(), "not a symlink ("+want+")") {
			t.Errorf("Start(%s): %v, want it to say %q", path, err, want)
		}
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "important" {
		t.Errorf("file after the refusal: %q, %v", data, err)
	}
	adapter := filepath.Join(dir, "usb-FTDI-if00") // a udev link to a real adapter
	if err := os.Symlink("/dev/null", adapter); err != nil {
		t.Fatal(err)
	}
	if b, err := sim.Start(adapter, sim.Config{}, nil); err == nil {
		b.Close()
		t.Fatal("Start replaced a link to a device that is not a pseudo-terminal")
	} else if !strings.Contains(err.Error(), "leads to /dev/null, not a pseudo-terminal") {
		t.Errorf("Start(link to /dev/null): %v", err)
	}
	if to, _ := os.Readlink(adapter); to != "/dev/null" {
		t.Errorf("the adapter's link now leads to %q", to)
	}
	stale := filepath.Join(dir, "SIM-0001")
	if err := os.Symlink("/dev/pts/no-such-board", stale); err != nil {
		t.Fatal(err)
	}
	b, err := sim.Start(stale, sim.Config{}, nil)
	if err != nil {
		t.Fatalf("a stale symlink: %v", err)
	}
	b.Close()
}

func TestParseFault(t *testing.T) {
	for _, name := range sim.FaultNames() {
		f, err := sim.ParseFault(strings.ToUpper(name))
		if err != nil || f.String() != name {
			t.Errorf("%s -> %v, %v", name, f, err)
		}
	}
	if _, err := sim.ParseFault("flaky"); err == nil || !strings.Contains(err.Error(), "longline") {
		t.Errorf("unknown fault: %v", err)
	}
	var f sim.Fault
	if err := f.UnmarshalText([]byte("garbage")); err != nil || f != sim.FaultGarbage {
		t.Errorf("UnmarshalText: %v %v", f, err)
	}
}

// TestTaggedFaults: tagged answers carry their command's number, echo and
// banner come before the answer, Command recalls what was received, Say
// speaks unasked.
func TestTaggedFaults(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-0001")
	b, err := sim.Start(link, sim.Config{Tagged: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, r := client(t, link)
	if got := ask(t, f, r, "STAT?"); got != "#1 READY" {
		t.Errorf("tagged: %q", got)
	}
	b.SetFault(sim.FaultEcho)
	if echo, ans := ask(t, f, r, "*IDN?"), readLine(t, r); echo != "*IDN?" || ans != "#2 "+sim.DefaultIdentity {
		t.Errorf("echo: %q then %q", echo, ans)
	}
	b.SetFault(sim.FaultBanner)
	if l1, l2, l3 := ask(t, f, r, "ECHO hi"), readLine(t, r), readLine(t, r); l1 != sim.Banner || l2 != "" || l3 != "#3 hi" {
		t.Errorf("banner: %q %q %q", l1, l2, l3)
	}
	if cmd, ok := b.Command(3); !ok || cmd != "ECHO hi" {
		t.Errorf("Command(3) = %q, %v", cmd, ok)
	}
	if _, ok := b.Command(4); ok {
		t.Error("Command(4) before it was sent")
	}
	if err := b.Say("EVENT"); err != nil || readLine(t, r) != "EVENT" {
		t.Errorf("Say: %v", err)
	}
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(line, "\r\n")
}

// TestLateAside: with Only and Aside, only the named command is late, and
// its answer comes after the answers to commands sent after it, tagged
// with its own number; closing the board with an answer still queued
// returns.
func TestLateAside(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-0001")
	b, err := sim.Start(link, sim.Config{Fault: sim.FaultLate, Only: "stat?", Aside: true, Tagged: true,
		Late: 100 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, r := client(t, link)
	if _, err := f.WriteString("STAT?\n"); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, f, r, "*IDN?"); got != "#2 "+sim.DefaultIdentity {
		t.Errorf("*IDN? after a late STAT? -> %q, want it answered first", got)
	}
	line, err := r.ReadString('\n')
	if got := strings.TrimRight(line, "\r\n"); err != nil || got != "#1 "+sim.DefaultState {
		t.Errorf("then %q (%v), want the late answer to #1", got, err)
	}
	if _, err := f.WriteString("STAT?\n"); err != nil { // queued when the board closes
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

// TestOnlyEvery: with Only, Every counts that command alone: every second
// STAT? is hit (here answered with ERR), whatever comes between.
func TestOnlyEvery(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-0001")
	b, err := sim.Start(link, sim.Config{Fault: sim.FaultError, Only: "STAT?", Every: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, r := client(t, link)
	var got []string
	for _, cmd := range []string{"STAT?", "*IDN?", "STAT?", "STAT?", "*IDN?", "*IDN?", "STAT?"} {
		if ans := ask(t, f, r, cmd); cmd == "STAT?" {
			got = append(got, ans)
		}
	}
	e := `ERR -100,"Command error"`
	if want := []string{sim.DefaultState, e, sim.DefaultState, e}; !slices.Equal(got, want) {
		t.Errorf("STAT? answers %q, want %q", got, want)
	}
}
