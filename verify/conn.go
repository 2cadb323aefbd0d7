package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Target is one node to verify and how to log in to it.
type Target struct {
	Host    string
	Port    int
	User    string
	Auth    Auth
	HostKey HostKeyPolicy
}

// Address returns host:port.
func (t Target) Address() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Timeouts bound each network step. Zero fields take the defaults.
type Timeouts struct {
	Dial      time.Duration // TCP connect, default 10s
	Handshake time.Duration // SSH handshake and login, default 15s
	Check     time.Duration // one check (file read, command), default 30s
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Dial <= 0 {
		t.Dial = 10 * time.Second
	}
	if t.Handshake <= 0 {
		t.Handshake = 15 * time.Second
	}
	if t.Check <= 0 {
		t.Check = 30 * time.Second
	}
	return t
}

// permanentError marks a connection error that retrying cannot fix (a changed
// host key, refused credentials, no common algorithm).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err is a connection error that waiting will
// not fix.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// errConnectionLost says the SSH connection closed while a check ran.
var errConnectionLost = errors.New("connection to the node was lost")

// nodeConn is the one SSH connection to a node: one SFTP session for files,
// command sessions on the same connection.
type nodeConn struct {
	client   *ssh.Client
	sftp     *sftp.Client
	closeAux func()
	dead     chan struct{}
	hostKey  ssh.PublicKey
	timeout  time.Duration
	user     string

	idOnce sync.Once
	users  []IDEntry
	groups []IDEntry
	idErr  error
}

// fingerprintAlgorithms are the host key types a fingerprint may name, one
// handshake each: a server presents one key per handshake, the one of the
// first algorithm both sides list.
var fingerprintAlgorithms = [][]string{
	{ssh.KeyAlgoED25519},
	{ssh.KeyAlgoECDSA256}, {ssh.KeyAlgoECDSA384}, {ssh.KeyAlgoECDSA521},
	{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256},
}

// dial opens the connection. A pin of whole keys asks the server for their
// algorithms. A pin of fingerprints only does not tell the key type, so each
// type is asked for in its own handshake until the server presents a pinned
// key; the node is refused as a possible man-in-the-middle only when none
// of the keys it presented matches.
func dial(ctx context.Context, t Target, to Timeouts) (*nodeConn, error) {
	pin := t.HostKey.Pin
	if pin == nil || !pin.FingerprintsOnly() {
		var algos []string
		if pin != nil {
			algos = pin.Algorithms()
		}
		return dialWith(ctx, t, to, algos)
	}
	var presented []*HostKeyMismatchError
	for _, algos := range fingerprintAlgorithms {
		c, err := dialWith(ctx, t, to, algos)
		if err == nil {
			return c, nil
		}
		var mismatch *HostKeyMismatchError
		switch {
		case errors.As(err, &mismatch) && mismatch.SeenLine == "":
			// The server has no key of this type: try the next one.
		case errors.As(err, &mismatch):
			presented = append(presented, mismatch)
		default:
			return nil, err
		}
	}
	if len(presented) == 0 {
		return nil, &permanentError{fmt.Errorf("ssh handshake with %s: the node offers no host key of a "+
			"type golang.org/x/crypto/ssh supports (tried %v)", t.Address(), fingerprintAlgorithms)}
	}
	all := *presented[0]
	var seen []string
	for _, m := range presented {
		seen = append(seen, m.Seen)
	}
	all.Seen = strings.Join(seen, ", ")
	return nil, &permanentError{&all}
}

// dialWith opens the connection: TCP with the dial timeout, then the SSH
// handshake and login under the handshake timeout, then the SFTP session.
// hostKeyAlgos, when set, are the only host key algorithms asked for.
func dialWith(ctx context.Context, t Target, to Timeouts, hostKeyAlgos []string) (*nodeConn, error) {
	to = to.withDefaults()
	methods, closeAux, err := t.Auth.authMethods(ctx, to.Handshake)
	if err != nil {
		return nil, &permanentError{err}
	}
	checker := &hostKeyChecker{policy: t.HostKey}
	cfg := &ssh.ClientConfig{
		User:            t.User,
		Auth:            methods,
		HostKeyCallback: checker.callback,
		Timeout:         to.Dial,
	}
	cfg.HostKeyAlgorithms = hostKeyAlgos

	d := net.Dialer{Timeout: to.Dial}
	tcp, err := d.DialContext(ctx, "tcp", t.Address())
	if err != nil {
		closeAux()
		return nil, fmt.Errorf("dial %s: %w", t.Address(), err)
	}
	raw := &bannerWatch{Conn: tcp}
	started := time.Now()
	_ = raw.SetDeadline(started.Add(to.Handshake))
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	sshConn, chans, reqs, err := ssh.NewClientConn(raw, t.Address(), cfg)
	stop()
	if err != nil {
		_ = raw.Close()
		closeAux()
		if !raw.spoke.Load() && (isTimeout(err) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil) {
			return nil, fmt.Errorf("ssh handshake with %s timed out: no SSH banner within %s; the port "+
				"accepts connections but nothing answers as SSH there (yet)", t.Address(),
				time.Since(started).Round(time.Millisecond))
		}
		return nil, classifyHandshakeError(t, checker, err)
	}
	_ = raw.SetDeadline(time.Time{})
	client := ssh.NewClient(sshConn, chans, reqs)

	c := &nodeConn{client: client, closeAux: closeAux, dead: make(chan struct{}),
		hostKey: checker.seen, timeout: to.Check, user: t.User}
	go func() {
		_ = client.Wait()
		close(c.dead)
	}()
	if err := c.within(ctx, func() error {
		var err error
		c.sftp, err = sftp.NewClient(client)
		return err
	}); err != nil {
		c.Close()
		if strings.Contains(err.Error(), "subsystem request failed") {
			return nil, &permanentError{fmt.Errorf("start sftp session on %s: the node's sshd has no SFTP "+
				"subsystem, which verification reads files through; add `Subsystem sftp internal-sftp` "+
				"(or the sftp-server path) to its sshd_config (%w)", t.Address(), err)}
		}
		return nil, fmt.Errorf("start sftp session on %s: %w", t.Address(), err)
	}
	return c, nil
}

// bannerWatch notes whether the server sent anything, to tell a port that
// never speaks SSH from a handshake that stalls later.
type bannerWatch struct {
	net.Conn
	spoke atomic.Bool
}

func (b *bannerWatch) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	if n > 0 {
		b.spoke.Store(true)
	}
	return n, err
}

func classifyHandshakeError(t Target, checker *hostKeyChecker, err error) error {
	var mismatch *HostKeyMismatchError
	if errors.As(err, &mismatch) {
		return &permanentError{mismatch}
	}
	var agentErr *AgentError
	if errors.As(err, &agentErr) {
		return &permanentError{agentErr}
	}
	var negotiation *ssh.AlgorithmNegotiationError
	if errors.As(err, &negotiation) && negotiation.What == "host key" && t.HostKey.Pin != nil {
		// The node no longer has a key of the pinned type: its keys changed.
		return &permanentError{&HostKeyMismatchError{
			Address:  t.Address(),
			Expected: t.HostKey.Pin.String(),
			Seen:     "no key of the pinned type (the node offers " + strings.Join(negotiation.RequestedAlgorithms, ", ") + ")",
		}}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"):
		return &permanentError{fmt.Errorf("log in to %s as %q: the node refused the credentials (%w)",
			t.Address(), t.User, err)}
	case strings.Contains(msg, "no common algorithm"):
		return &permanentError{fmt.Errorf("ssh handshake with %s: no algorithm in common; the node's sshd "+
			"must offer one that golang.org/x/crypto/ssh supports (%w)", t.Address(), err)}
	case strings.Contains(msg, "no host key to check against"):
		return &permanentError{err}
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("ssh handshake with %s timed out: %w", t.Address(), err)
	}
	return fmt.Errorf("ssh handshake with %s: %w", t.Address(), err)
}

// connectionError reports whether an SFTP or session error means the
// connection itself is gone (as opposed to a status such as "no such file").
func connectionError(err error) bool {
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, sftp.ErrSSHFxNoConnection)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close ends the SFTP session and the connection.
func (c *nodeConn) Close() {
	if c.sftp != nil {
		_ = c.sftp.Close()
	}
	_ = c.client.Close()
	c.closeAux()
}

// lost reports whether the connection has gone away.
func (c *nodeConn) lost() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// within runs op under the per-check timeout. SFTP calls cannot be
// cancelled; a call that outlives its timeout is abandoned and its result
// dropped.
func (c *nodeConn) within(ctx context.Context, op func() error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		if err != nil && (c.lost() || connectionError(err)) {
			return fmt.Errorf("%w: %w", errConnectionLost, err)
		}
		return err
	case <-c.dead:
		return errConnectionLost
	case <-ctx.Done():
		return fmt.Errorf("timed out after %s: %w", c.timeout, ctx.Err())
	}
}

// readFile reads a file over SFTP (following symlinks).
func (c *nodeConn) readFile(ctx context.Context, path string) ([]byte, error) {
	var data []byte
	err := c.within(ctx, func() error {
		f, err := c.sftp.Open(path)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		// Read in small steps: files under /proc and /sys report size 0.
		var buf bytes.Buffer
		chunk := make([]byte, 32*1024)
		for {
			n, err := f.Read(chunk)
			buf.Write(chunk[:n])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if buf.Len() > 16<<20 {
				return errors.New("file larger than 16 MiB")
			}
		}
		data = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s over sftp: %w", path, err)
	}
	return data, nil
}

// lstat stats a path over SFTP without following a final symlink.
func (c *nodeConn) lstat(ctx context.Context, path string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := c.within(ctx, func() error {
		var err error
		fi, err = c.sftp.Lstat(path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lstat %s over sftp: %w", path, err)
	}
	return fi, nil
}

// readLink reads a symlink's target over SFTP.
func (c *nodeConn) readLink(ctx context.Context, path string) (string, error) {
	var target string
	err := c.within(ctx, func() error {
		var err error
		target, err = c.sftp.ReadLink(path)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("readlink %s over sftp: %w", path, err)
	}
	return target, nil
}

// readDir lists a directory over SFTP.
func (c *nodeConn) readDir(ctx context.Context, path string) ([]fs.FileInfo, error) {
	var list []fs.FileInfo
	err := c.within(ctx, func() error {
		var err error
		list, err = c.sftp.ReadDir(path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s over sftp: %w", path, err)
	}
	return list, nil
}

// CommandResult is what a command printed and how it exited.
type CommandResult struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// run executes argv in a new session on the connection, with LC_ALL=C so that
// tools print untranslated output. A non-zero exit is a result, not an error.
func (c *nodeConn) run(ctx context.Context, argv []string) (CommandResult, error) {
	var res CommandResult
	cmdline := ShellQuote(append([]string{"env", "LC_ALL=C"}, argv...))
	var sess *ssh.Session
	err := c.within(ctx, func() error {
		var err error
		sess, err = c.client.NewSession()
		return err
	})
	if err != nil {
		if c.lost() || connectionError(err) {
			return res, fmt.Errorf("run %s: %w", argv[0], errConnectionLost)
		}
		return res, fmt.Errorf("open ssh session for %s: %w", argv[0], err)
	}
	defer func() { _ = sess.Close() }()
	var stdout, stderr limitedBuffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	err = c.within(ctx, func() error {
		err := sess.Run(cmdline)
		var exit *ssh.ExitError
		if errors.As(err, &exit) {
			res.ExitCode = exit.ExitStatus()
			return nil
		}
		return err
	})
	if err != nil {
		_ = sess.Signal(ssh.SIGKILL)
		return res, fmt.Errorf("run %s: %w", argv[0], err)
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	return res, nil
}

// probeMarker is the line the probe wrapper prints right before it execs
// the probe. Output without it means the probe never started: sudo refused
// (no passwordless sudo, unknown user) or is missing.
const probeMarker = "hardnode-probe-started"

// probeScript runs as `sh -c probeScript ARGV0 ARGS...` under sudo: it moves
// to / (the login user's home is often closed to the user the probe runs
// as, and tools such as podman fail in a directory they cannot enter),
// prints the marker, then replaces itself with the probe.
const probeScript = `LC_ALL=C; export LC_ALL; cd / || exit 1; echo ` + probeMarker + `; exec "$0" "$@"`

// ProbeError says that a probe did not run at all, so that nothing may be
// concluded from its exit code or output.
type ProbeError struct {
	Argv     []string
	AsUser   string // "" when run directly as the login user
	ExitCode int
	Stderr   string
	Reason   string
}

func (e *ProbeError) Error() string {
	who := ""
	if e.AsUser != "" {
		who = " as " + e.AsUser
	}
	return fmt.Sprintf("%s%s did not run: %s (exit %d: %s)", e.Argv[0], who, e.Reason, e.ExitCode, e.Stderr)
}

// runProbe runs argv and makes sure that it really ran: with asUser set it
// goes through `sudo -n -u asUser --` and a wrapper that announces the start
// of argv, so that sudo's own failures (password required, unknown user,
// sudo missing) are errors and never a result; exit 126 and 127 (cannot
// execute, not found) are errors either way.
func (c *nodeConn) runProbe(ctx context.Context, asUser string, argv []string) (CommandResult, error) {
	if asUser == "" {
		res, err := c.run(ctx, argv)
		if err != nil {
			return res, err
		}
		if res.ExitCode == 126 || res.ExitCode == 127 {
			return res, &ProbeError{Argv: argv, ExitCode: res.ExitCode, Stderr: firstLine(res.Stderr),
				Reason: "the command was not found or is not executable"}
		}
		return res, nil
	}
	wrapped := append([]string{"sudo", "-n", "-u", asUser, "--", "sh", "-c", probeScript}, argv...)
	res, err := c.run(ctx, wrapped)
	if err != nil {
		return res, err
	}
	out, started := bytes.CutPrefix(res.Stdout, []byte(probeMarker+"\n"))
	if !started {
		return res, &ProbeError{Argv: argv, AsUser: asUser, ExitCode: res.ExitCode,
			Stderr: firstLine(res.Stderr), Reason: fmt.Sprintf("`sudo -n -u %s` failed before starting it", asUser)}
	}
	res.Stdout = out
	if res.ExitCode == 126 || res.ExitCode == 127 {
		return res, &ProbeError{Argv: argv, AsUser: asUser, ExitCode: res.ExitCode, Stderr: firstLine(res.Stderr),
			Reason: "the command was not found or is not executable"}
	}
	return res, nil
}

// limitedBuffer keeps the first 1 MiB written to it and drops the rest.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 1<<20 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// idTables reads the user and group tables once per connection: /etc/passwd
// and /etc/group, plus Flatcar's /usr/share/baselayout/{passwd,group}, which
// its nss-altfiles module serves for the image's system accounts.
func (c *nodeConn) idTables(ctx context.Context) (users, groups []IDEntry, err error) {
	c.idOnce.Do(func() {
		for _, f := range []struct {
			path string
			into *[]IDEntry
			must bool
		}{
			{"/etc/passwd", &c.users, true},
			{"/usr/share/baselayout/passwd", &c.users, false},
			{"/etc/group", &c.groups, true},
			{"/usr/share/baselayout/group", &c.groups, false},
		} {
			data, err := c.readFile(ctx, f.path)
			if err != nil {
				if f.must || !isNotExist(err) {
					c.idErr = err
					return
				}
				continue
			}
			*f.into = append(*f.into, ParseIDTable(data)...)
		}
	})
	return c.users, c.groups, c.idErr
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func isPermission(err error) bool { return errors.Is(err, fs.ErrPermission) }
