package deploy

import (
	"bytes"
	"strings"
	"testing"
)

// TestUnitChecks: deploy/systemd/check.sh passes on the unit: verify
// without a diagnostic, exposure at most 3.0 for a production and a
// simulator instance, the invariants.
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

// TestUnitChecksFail: check.sh fails a unit whose sandbox was weakened past
// 3.0 (and only on that count), and a unit systemd-analyze verify objects
// to.
func TestUnitChecksFail(t *testing.T) {
	needTools(t, "systemd-analyze")
	t.Run("exposure above 3.0", func(t *testing.T) {
		weak := writeUnit(t, func(u []byte) []byte {
			return dropLines(u, "ProtectSystem", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
				"ProtectKernelModules", "ProtectControlGroups", "RestrictNamespaces", "SystemCallFilter",
				"RestrictAddressFamilies", "MemoryDenyWriteExecute", "NoNewPrivileges")
		})
		out, ok := runScript(t, []string{"JIG_UNIT=" + weak}, "systemd/check.sh")
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
		bad := writeUnit(t, func(u []byte) []byte {
			return bytes.Replace(u, []byte("\nWatchdogSec=30s\n"), []byte("\nWatchdogSecs=30s\n"), 1)
		})
		out, ok := runScript(t, []string{"JIG_UNIT=" + bad}, "systemd/check.sh")
		if ok {
			t.Fatalf("check.sh passed a unit with an unknown key:\n%s", out)
		}
		for _, want := range []string{"Unknown key 'WatchdogSecs'", "FAIL: verify jig-manager@JIG-0001.service printed diagnostics"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}
