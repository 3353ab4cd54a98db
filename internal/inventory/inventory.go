// Package inventory reads the list of fixture serials expected on a floor:
// one serial per line; blank lines and lines starting with # are ignored.
// jig-gateway (fleet.inventory) and jigctl list --expected read it.
package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jigmq/jigmq/mqmanager"
)

// MaxSerials bounds an inventory, so a wrong file cannot take the memory.
const MaxSerials = 100_000

// Read parses an inventory; every bad line is reported, with its number.
func Read(r io.Reader) ([]string, error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case mqmanager.CheckSerial(line) != nil:
			errs = append(errs, fmt.Errorf("line %d: %v", n, mqmanager.CheckSerial(line)))
		case seen[line]:
			errs = append(errs, fmt.Errorf("line %d: %s is listed twice", n, line))
		case len(out) == MaxSerials:
			return nil, fmt.Errorf("line %d: more than %d serials", n, MaxSerials)
		default:
			seen[line] = true
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// Load reads the inventory file at path.
func Load(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", path, err)
	}
	return s, nil
}
