// Package deploy holds no code, only the tests of the deployment files:
// the systemd unit (deploy/systemd/check.sh: systemd-analyze verify and
// security) and the .deb (deploy/package/build-deb.sh, as `make package`
// runs it, and check-deb.sh). They run in `make test`, which installs their
// tools first (scripts/ensure-deploy-tools.sh) and sets
// JIGMQ_DEPLOY_CHECKS=require so that a missing tool fails them; a plain
// `go test ./...` skips them without the tools.
package deploy

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestUnitChecks: deploy/systemd/check.sh passes on the units: verify
// without a diagnostic, exposure at most 3.0 for a production and a
// simulator instance of the manager and for the gateway, the invariants.
func TestUnitChecks(t *testing.T) {
	needTools(t, "systemd-analyze")
	out, ok := runScript(t, nil, "systemd/check.sh")
	if !ok {
		t.Fatalf("check.sh failed:\n%s", out)
	}
	ex := exposures(t, out)
	for _, inst := range instances {
		e, found := ex[inst]
		switch {
		case !found:
			t.Errorf("no exposure reported for %s:\n%s", inst, out)
		case e > maxExposure:
			t.Errorf("%s: exposure %.1f, want at most %.1f", inst, e, maxExposure)
		default:
			t.Logf("%s: exposure %.1f", inst, e)
		}
	}
}

// TestUnitChecksFail: check.sh fails units whose sandbox was weakened past
// 3.0 (and only on that count), and a manager or gateway unit
// systemd-analyze verify objects to.
func TestUnitChecksFail(t *testing.T) {
	needTools(t, "systemd-analyze")
	t.Run("exposure above 3.0", func(t *testing.T) {
		weaken := func(u []byte) []byte {
			return dropLines(u, "ProtectSystem", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
				"ProtectKernelModules", "ProtectControlGroups", "RestrictNamespaces", "SystemCallFilter",
				"RestrictAddressFamilies", "MemoryDenyWriteExecute", "NoNewPrivileges")
		}
		out, ok := runScript(t, []string{"JIG_UNIT=" + writeUnit(t, managerUnit, weaken),
			"JIG_GATEWAY_UNIT=" + writeUnit(t, gatewayUnit, weaken)}, "systemd/check.sh")
		if ok {
			t.Fatalf("check.sh passed a weakened unit:\n%s", out)
		}
		ex := exposures(t, out)
		if len(ex) != len(instances) {
			t.Fatalf("exposures %v, want one per instance:\n%s", ex, out)
		}
		for inst, e := range ex {
			if e <= maxExposure {
				t.Errorf("%s: weakened unit rated %.1f, want above %.1f", inst, e, maxExposure)
			}
		}
		if strings.Contains(out, "FAIL: ") { // verify or an invariant
			t.Errorf("expected only the exposure to fail:\n%s", out)
		}
	})
	t.Run("verify diagnostic", func(t *testing.T) {
		unknownKey(t, "JIG_UNIT", managerUnit, "WatchdogSec=30s", "jig-manager@JIG-0001.service")
	})
	t.Run("gateway verify diagnostic", func(t *testing.T) {
		unknownKey(t, "JIG_GATEWAY_UNIT", gatewayUnit, "TimeoutStopSec=15s", "jig-gateway.service")
	})
}

// unknownKey: check.sh, given (in env) the unit file with its line key=...
// misspelt, fails saying so for unit.
func unknownKey(t *testing.T, env, file, line, unit string) {
	bad := writeUnit(t, file, func(u []byte) []byte {
		key, value, _ := strings.Cut(line, "=")
		return bytes.Replace(u, []byte("\n"+line+"\n"), []byte("\n"+key+"s="+value+"\n"), 1)
	})
	out, ok := runScript(t, []string{env + "=" + bad}, "systemd/check.sh")
	if ok {
		t.Fatalf("check.sh passed a unit with an unknown key:\n%s", out)
	}
	key, _, _ := strings.Cut(line, "=")
	for _, want := range []string{"Unknown key '" + key + "s'", "FAIL: verify " + unit + " printed diagnostics"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// maxExposure is the highest `systemd-analyze security` exposure the unit
// may have (issue #6).
const maxExposure = 3.0

// needTools skips the test when a tool is missing, or fails it when make
// test asked for the deployment checks.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("JIGMQ_DEPLOY_CHECKS") == "require" {
				t.Fatalf("%s not found: run scripts/ensure-deploy-tools.sh (make deploy-tools)", tool)
			}
			t.Skipf("%s not found (make deploy-tools installs it)", tool)
		}
	}
}

// runScript runs a script under deploy/ with env added to the test's, and
// returns its combined output and whether it exited 0.
func runScript(t *testing.T, env []string, script string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(".", script), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", script, err)
	}
	return string(out), err == nil
}

var exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+)`)

// exposures are the overall exposure levels in check.sh's output, by unit.
func exposures(t *testing.T, out string) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	for _, sub := range exposureRE.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(sub[2], 64)
		if err != nil {
			t.Fatalf("exposure %q: %v", sub[2], err)
		}
		m[sub[1]] = v
	}
	return m
}

// instances are the units check.sh rates.
var instances = []string{"jig-manager@JIG-0001.service", "jig-manager@SIM-0001.service", "jig-gateway.service"}

// The repository's units, under deploy/.
const (
	managerUnit = "systemd/jig-manager@.service"
	gatewayUnit = "systemd/jig-gateway.service"
)

// writeUnit writes the repository's unit file (managerUnit, gatewayUnit),
// changed by edit, to a temporary file and returns its path.
func writeUnit(t *testing.T, file string, edit func([]byte) []byte) string {
	t.Helper()
	unit, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := edit(bytes.Clone(unit))
	if bytes.Equal(changed, unit) {
		t.Fatal("the edit changed nothing: the unit no longer has what the test removes")
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dropLines removes the lines that start with one of the keys + "=".
func dropLines(unit []byte, keys ...string) []byte {
	var out [][]byte
	for _, line := range bytes.SplitAfter(unit, []byte("\n")) {
		keep := true
		for _, k := range keys {
			if bytes.HasPrefix(line, []byte(k+"=")) {
				keep = false
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return bytes.Join(out, nil)
}
