package manager

import (
	"strings"
	"testing"
	"time"
)

func TestLeaseConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Serial, cfg.Fixture.Port = "JIG-0001", "/dev/null"
	cfg.Lease = Lease{MaxTTL: 48 * time.Hour, StateFile: "rel/lease.json"}
	cfg.Security.ControllerUsers, cfg.Security.AdminUsers = []string{"ctl"}, []string{"boss", " x"}
	err := cfg.Validate()
	for _, want := range []string{"lease.max_ttl: 48h0m0s is not between 1s and 24h0m0s",
		`lease.state_file: "rel/lease.json" is not an absolute path`,
		`security.admin_users: "boss" is not in security.controller_users`, `security.admin_users: " x" is not a user name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: want %q in %v", want, err)
		}
	}
}

func TestLeaseStateFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Serial = "JIG-0001"
	env := map[string]string{"STATE_DIRECTORY": "/var/lib/jig-manager:/var/lib/other"}
	if got := cfg.stateFile(func(k string) string { return env[k] }); got != "/var/lib/jig-manager/lease-JIG-0001.json" {
		t.Errorf("from $STATE_DIRECTORY: %q", got)
	}
	if got := cfg.stateFile(func(string) string { return "" }); got != "" {
		t.Errorf("with neither: %q", got)
	}
	cfg.Lease.StateFile = "/srv/lease.json"
	if got := cfg.stateFile(func(k string) string { return env[k] }); got != "/srv/lease.json" {
		t.Errorf("lease.state_file: %q", got)
	}
	if d, err := Decode(strings.NewReader("lease: {max_ttl: 10m, state_file: /x}\nsecurity: {admin_users: [a]}\n")); err != nil ||
		d.Lease.MaxTTL != 10*time.Minute || d.Security.AdminUsers[0] != "a" {
		t.Errorf("decode: %+v %v", d.Lease, err)
	}
}
