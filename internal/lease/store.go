package lease

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// store is the state file. Every save replaces it atomically: a temporary
// file in the same directory, fsynced, renamed over it, and the directory
// fsynced, so a crash leaves the old state or the new one, never a torn
// file.
type store struct {
	path string // "": memory only
	log  *slog.Logger
}

// state is the file's content.
type state struct {
	Lease *record `json:"lease"` // null: not held
}

// load reads the lease in the state file: nil if there is none, or no
// file. A file that cannot be read or decoded is set aside (renamed with
// an ".unreadable-<time>" suffix) and logged: the manager starts with no
// lease rather than not at all.
func (s store) load() *record {
	if s.path == "" {
		return nil
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var st state
	if err == nil {
		err = decodeState(data, &st)
	}
	if err != nil {
		s.setAside(err)
		return nil
	}
	return st.Lease
}

func decodeState(data []byte, st *state) error {
	if err := json.Unmarshal(data, st); err != nil {
		return err
	}
	if r := st.Lease; r != nil && (r.Token == "" || r.Owner == "" || r.ExpiresAt.IsZero()) {
		return errors.New("the lease lacks its token, owner or expiry")
	}
	return nil
}

func (s store) setAside(cause error) {
	aside := s.path + ".unreadable-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(s.path, aside); err != nil {
		s.log.Error("lease state file unreadable, and could not be set aside: starting with no lease",
			"path", s.path, "err", cause, "rename_err", err)
		return
	}
	s.log.Warn("lease state file unreadable: set aside, starting with no lease",
		"path", s.path, "err", cause, "set_aside_as", aside)
}

// save replaces the state file with r (nil: no lease).
func (s store) save(r *record) error {
	if s.path == "" {
		return nil
	}
	data, err := json.Marshal(state{Lease: r})
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, data); err != nil {
		return fmt.Errorf("state file %s: %w", s.path, err)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
