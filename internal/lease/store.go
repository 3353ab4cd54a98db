package lease

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jigmq/jigmq/internal/filekind"
)

// store is the state file. Every save replaces it atomically: a temporary
// file in the same directory, fsynced, renamed over it, and the directory
// fsynced, so a crash leaves the old state or the new one, never a torn
// file.
type store struct {
	path   string // "": memory only
	serial string // the fixture's, written in the file
	log    *slog.Logger
	// refused, if set, is why this file must not be written (it is
	// another fixture's): every save fails with it.
	refused error
}

// state is the file's content. Serial is absent ("") in files written
// before it was kept; such a file is read as this fixture's.
type state struct {
	Serial string  `json:"serial,omitempty"`
	Lease  *record `json:"lease"` // null: not held
}

// load reads the lease in the state file: nil if there is none, or no
// file. A file that cannot be read or decoded is set aside (renamed with
// an ".unreadable-<time>" suffix) and logged: the manager starts with no
// lease rather than not at all. A file of another serial is an error, and
// left as it is: it is another fixture's lease; so is a path that is not a
// regular file (a folder, a device, a named pipe), which is never read.
func (s store) load() (*record, error) {
	if s.path == "" {
		return nil, nil
	}
	data, err := readRegular(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var notFile *notRegularError
	if errors.As(err, &notFile) {
		return nil, err // not a file the manager wrote: not its to set aside
	}
	var st state
	if err == nil {
		err = decodeState(data, &st)
	}
	if err != nil {
		s.setAside("unreadable", err)
		return nil, nil
	}
	if st.Serial != "" && st.Serial != s.serial {
		return nil, fmt.Errorf("%s holds the lease of serial %q, not of %q: left untouched", s.path, st.Serial, s.serial)
	}
	return st.Lease, nil
}

// maxStateFile bounds what is read of a state file: one lease is under
// 1 KiB; a larger file is not one the manager wrote (it is set aside).
const maxStateFile = 64 << 10

// notRegularError is a state file path that is not a regular file (a
// folder, a device, a named pipe).
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.path, filekind.Of(e.mode))
}

// readRegular reads path if it is a regular file, at most maxStateFile
// bytes. It is opened without blocking, so that a named pipe at path is
// refused at once instead of waiting for a writer that never comes.
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &notRegularError{path: path, mode: fi.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err == nil && len(data) > maxStateFile {
		err = fmt.Errorf("over %d bytes", maxStateFile)
	}
	return data, err
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

// setAside renames the file <path>.<why>-<time> and logs cause; the
// manager then starts with no lease.
func (s store) setAside(why string, cause error) {
	aside := s.path + "." + why + "-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(s.path, aside); err != nil {
		s.log.Error("lease state file "+why+", and could not be set aside: starting with no lease",
			"path", s.path, "err", cause, "rename_err", err)
		return
	}
	s.log.Warn("lease state file "+why+": set aside, starting with no lease",
		"path", s.path, "err", cause, "set_aside_as", aside)
}

// save replaces the state file with r (nil: no lease).
func (s store) save(r *record) error {
	switch {
	case s.refused != nil:
		return s.refused
	case s.path == "":
		return nil
	}
	data, err := json.Marshal(state{Serial: s.serial, Lease: r})
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
