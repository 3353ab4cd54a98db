package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testVersion stamps the test package's binaries (check-deb.sh wants a
// stamp other than "dev").
const testVersion = "v0.0.0-test"

// TestPackage builds the .deb as `make package` does and checks it with
// check-deb.sh: metadata, the exact file list with modes and owners, the
// conffile, the maintainer scripts (statically and in stubbed dry runs),
// static version-stamped binaries, and, as root, a real dpkg install,
// upgrade, remove and purge on a throwaway overlay of /. Then check.sh
// verifies the units against the packaged binaries, and tampered copies of the
// package must fail check-deb.sh.
func TestPackage(t *testing.T) {
	needTools(t, "go", "dpkg-deb", "readelf", "systemd-analyze")
	deb := buildDeb(t)
	var env []string
	if canOverlay() {
		env = append(env, "INSTALL_TEST=1")
	} else {
		t.Log("not root or no mount namespaces: skipping the real dpkg install")
	}
	out, ok := runScript(t, env, "package/check-deb.sh", deb)
	if !ok {
		t.Fatalf("check-deb.sh failed:\n%s", out)
	}
	if len(env) > 0 && !strings.Contains(out, "ok    dpkg -P purges the conffile") {
		t.Errorf("the real install did not run to the purge:\n%s", out)
	}

	x := extract(t, deb)
	bin, gw := filepath.Join(x, "usr/bin/jig-manager"), filepath.Join(x, "usr/bin/jig-gateway")
	out, ok = runScript(t, []string{"JIG_MANAGER_BIN=" + bin, "JIG_GATEWAY_BIN=" + gw}, "systemd/check.sh")
	if !ok || !strings.Contains(out, "ok: the binary sends WATCHDOG=1") || !strings.Contains(out, "== using binary "+gw) {
		t.Fatalf("check.sh with the packaged binary:\n%s", out)
	}
	t.Run("tampered", func(t *testing.T) { testTampered(t, deb) })
}

// testTampered: check-deb.sh refuses copies of deb with one thing wrong.
func testTampered(t *testing.T, deb string) {
	cases := []struct {
		name, want string
		edit       func(t *testing.T, root string)
	}{
		{"stray file", "FAIL  file list differs", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "usr/bin/extra"), "#!/bin/sh\n")
		}},
		{"postinst forgets dialout", "FAIL  postinst puts it in dialout", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "DEBIAN/postinst"), "usermod --append --groups dialout", "true")
		}},
		{"prerm stops nothing", "FAIL  stops all instances", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "DEBIAN/prerm"), "systemctl stop", "echo")
		}},
		{"prerm leaves the gateway running", "FAIL  stops the gateway", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "DEBIAN/prerm"), "systemctl stop jig-gateway.service", "true")
		}},
		{"upgrade leaves the old gateway running", "FAIL  restarts the gateway if it runs", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "DEBIAN/postinst"), "try-restart jig-gateway.service", "status jig-gateway.service")
		}},
		{"gateway unit differs", "FAIL  the gateway unit is deploy/systemd/jig-gateway.service", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "lib/systemd/system/jig-gateway.service"), "Restart=always", "Restart=no")
		}},
		{"unit differs", "FAIL  the unit is deploy/systemd/jig-manager@.service", func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "lib/systemd/system/jig-manager@.service"), "Restart=always", "Restart=no")
		}},
		{"no conffiles", "FAIL  control member conffiles", func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "DEBIAN/conffiles")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			run(t, "dpkg-deb", "-R", deb, root)
			c.edit(t, root)
			bad := filepath.Join(t.TempDir(), "bad.deb")
			run(t, "dpkg-deb", "--root-owner-group", "-Znone", "-b", root, bad)
			out, ok := runScript(t, nil, "package/check-deb.sh", bad)
			if ok || !strings.Contains(out, c.want) {
				t.Errorf("check-deb.sh (exit 0: %v) does not report %q:\n%s", ok, c.want, out)
			}
		})
	}
}

// buildDeb runs deploy/package/build-deb.sh, which `make package` runs.
func buildDeb(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("package/build-deb.sh", t.TempDir(), testVersion)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// canOverlay reports whether check-deb.sh's INSTALL_TEST can run here.
func canOverlay() bool {
	return os.Geteuid() == 0 && exec.Command("unshare", "-m", "--propagation", "private", "true").Run() == nil
}

// extract unpacks deb's files into a temporary directory.
func extract(t *testing.T, deb string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, dir)
	return dir
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// edit replaces old by new in the file at path, which must contain it.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	write(t, path, strings.ReplaceAll(string(b), old, new))
}
