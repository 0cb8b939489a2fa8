// Package pg runs the local DR lab's PostgreSQL 15 clusters on loopback: a
// writer playing eu-west-1 and an asynchronous streaming replica playing
// eu-central-1, which the lab's orchestrator promotes, kills and rebuilds
// while rehearsing a regional failover and failback.
//
// When the process runs as root, every PostgreSQL binary runs as the
// postgres system user (initdb and postgres refuse root) and the lab's
// directories are chowned to it.
package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout bounds every external command and every wait whose context
// has no earlier deadline, so a wedged server cannot hang the lab.
const DefaultTimeout = 30 * time.Second

// defaultBinDir is where Debian's postgresql-15 package installs the server.
const defaultBinDir = "/usr/lib/postgresql/15/bin"

// BinDir returns the directory of the PostgreSQL 15 binaries: PG_BINDIR if
// set, Debian's location otherwise. It fails if initdb is not there, since
// nothing in the lab works without the server binaries.
func BinDir() (string, error) {
	dir := os.Getenv("PG_BINDIR")
	if dir == "" {
		dir = defaultBinDir
	}
	if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
		return "", fmt.Errorf("PostgreSQL binaries not found in %s (install postgresql-15 or set PG_BINDIR): %w", dir, err)
	}
	return dir, nil
}

// FreePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before the cluster binds it; the start then fails with
// the bind error in the server log, quoted in the returned error.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// TempRoot creates a fresh lab root under the system temp directory that the
// postgres user can traverse. os.MkdirTemp (and so t.TempDir) creates 0700
// directories, which a server running as postgres cannot reach when the lab
// runs as root. The caller removes it (os.RemoveAll) after closing the
// clusters in it.
func TempRoot(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("create lab root: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("make lab root %s searchable: %w", dir, err)
	}
	return dir, nil
}

// withDefaultTimeout applies DefaultTimeout unless ctx already ends sooner.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= DefaultTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// postgresCredential is the postgres user's identity when we are root, nil
// otherwise. Looked up once: it cannot change while the lab runs.
var postgresCredential = sync.OnceValues(func() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, which PostgreSQL refuses, and there is no postgres user to run it as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user gid %q: %w", u.Gid, err)
	}
	// No supplementary groups: exec then calls setgroups with an empty list,
	// so the server runs with the primary group only. checkReachable relies
	// on that.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
})

// runner runs PostgreSQL binaries, as the postgres user when cred is set.
type runner struct {
	bin  string
	cred *syscall.Credential
}

func newRunner() (*runner, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	return &runner{bin: bin, cred: cred}, nil
}

// run executes a PostgreSQL binary under DefaultTimeout. Its output goes into
// the error on failure; stdout, if not nil, receives standard output instead
// (pg_dump), so the error then carries standard error only.
func (r *runner) run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(r.bin, name), args...)
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	// The caller's working directory may be unreadable by the postgres user,
	// and initdb and pg_ctl fail when they cannot resolve it.
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if stdout != nil {
		cmd.Stdout = stdout
	}
	// pg_ctl start hands the postmaster a log file rather than our pipes, but
	// should a child ever keep them open, stop waiting for it after a while.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// chown gives path to the postgres user when the servers run as it.
func (r *runner) chown(path string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s to postgres: %w", path, err)
	}
	return nil
}

// mkdirOwned creates dir (which must not exist yet) for the server.
func (r *runner) mkdirOwned(dir string) error {
	// 0700: the server refuses a data directory others can read.
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return r.chown(dir)
}

// writeOwned writes a file the server must read.
func (r *runner) writeOwned(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return r.chown(path)
}

// checkReachable fails early, naming the culprit, when the postgres user
// cannot search every directory leading to dir; otherwise initdb or the
// server would fail later with a bare "Permission denied".
func (r *runner) checkReachable(dir string) error {
	if r.cred == nil {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check access to %s: %w", dir, err)
		}
		bit := os.FileMode(0o001)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			switch {
			case st.Uid == r.cred.Uid:
				bit = 0o100
			case st.Gid == r.cred.Gid:
				bit = 0o010
			}
		}
		if fi.Mode().Perm()&bit == 0 {
			return fmt.Errorf("the postgres user cannot reach %s: %s has mode %v; use pg.TempRoot or a directory it can search (chmod o+x)", dir, p, fi.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// alive reports whether pid is a live process. A zombie counts as dead: a
// postmaster that exited is reparented to init, which in a container may
// never reap it.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		// The state follows the parenthesised command name, which may itself
		// contain spaces and parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
			return stat[i+2] != 'Z'
		}
		return true
	}
	if !errors.Is(err, os.ErrNotExist) {
		// No usable /proc: fall back to asking the kernel.
		err := syscall.Kill(pid, 0)
		return err == nil || errors.Is(err, syscall.EPERM)
	}
	return false
}
