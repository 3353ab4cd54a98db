package main

import (
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// TestEveryMethodReachable: every method of the contract has a jigctl
// command that calls it (marked with calling), and the line of that
// command's Example for it, run against a manager, gets the method's own
// answer: ok, or an error reply that is not unknown_method.
func TestEveryMethodReachable(t *testing.T) {
	f := startFixture(t)
	commands := map[string][]string{} // method -> the example's arguments
	for _, cmd := range newRoot(&globals{}).Commands() {
		if names := cmd.Annotations[methodAnnotation]; names != "" {
			lines := strings.Split(strings.TrimSpace(cmd.Example), "\n")
			for i, m := range strings.Split(names, ",") {
				commands[m] = exampleArgs(lines[min(i, len(lines)-1)], f.serial)
			}
		}
	}
	for _, m := range jigapi.Methods() {
		args, ok := commands[m.Name]
		if !ok {
			t.Errorf("no jigctl command calls %s", m.Name)
			continue
		}
		stdout, stderr, code := jigctl(t, args...)
		transport := code == exitUsage || code == exitTimeout || code == exitNoFixture || code == exitUnreachable
		if code != exitOK && (transport || !strings.Contains(stderr, "error_reply: ")) ||
			strings.Contains(stderr, jigapi.CodeUnknownMethod) {
			t.Errorf("jigctl %s (for %s): exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), m.Name, code, stdout, stderr)
		}
	}
}

// exampleArgs are the arguments of an Example's line, addressed to serial:
// its first fixture becomes serial, any others are dropped; quotes go.
func exampleArgs(line, serial string) []string {
	var args []string
	first := true
	for _, a := range strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "jigctl ")) {
		a = strings.Trim(a, `'"`)
		if strings.HasPrefix(a, "JIG-") {
			if !first {
				continue
			}
			a, first = serial, false
		}
		args = append(args, a)
	}
	return args
}
