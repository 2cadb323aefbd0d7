// Package nodesim serves a simulated Flatcar-like or MicroOS-like node over
// SSH and SFTP on a loopback listener, for tests of package verify and of
// the provider. Files come from a temporary directory laid out like the
// node's root; a tiny command handler answers the commands verification
// runs (systemctl, sudo, stat, cat). Faults are switches: a changed host
// key, a dropped connection mid-check, a slow handshake, a reboot (the
// listener closes and comes back), unreadable files.
package nodesim

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Family is the node layout.
type Family string

// Layouts the simulator knows.
const (
	Flatcar Family = "flatcar"
	MicroOS Family = "microos"
)

// Meta overrides what the SFTP server and the simulated stat report for a
// path (ownership, mode) and whether the login user may read it.
type Meta struct {
	UID, GID   uint32
	Mode       os.FileMode // permission bits; 0 keeps the file's own
	NoRead     bool        // open fails with permission denied (stat works)
	NoStat     bool        // stat and open fail with permission denied
	HasOwnerID bool
}

// Unit is the state systemctl reports for a unit.
type Unit struct {
	Enabled string // is-enabled output: enabled, disabled, masked, static
	Active  string // is-active output: active, inactive, failed
}

// CommandFunc answers a command the simulator does not know itself.
// asUser is the sudo -u target, "" for the login user.
type CommandFunc func(argv []string, asUser string) (stdout, stderr string, exit int)

// Node is one simulated node.
type Node struct {
	Root    string // the node's filesystem root
	User    string // login user
	Address string // 127.0.0.1:port, stable across reboots

	// Accepted counts TCP connections accepted; Handshakes counts SSH logins.
	Accepted   atomic.Int64
	Handshakes atomic.Int64

	mu             sync.Mutex
	hostKey        ssh.Signer
	extraHostKeys  []ssh.Signer
	authorized     []ssh.PublicKey
	meta           map[string]Meta
	units          map[string]Unit
	commands       map[string]CommandFunc
	sudoOK         bool
	noSFTP         bool
	handshakeDelay time.Duration
	dropAfterOps   int // close a connection after this many operations (0: never)
	dropTimes      int // how many connections to drop that way (-1: all)
	listener       net.Listener
	conns          map[net.Conn]struct{}
	down           bool
	state          State
	closed         bool
	wg             sync.WaitGroup
}

// New starts a node of the given family running version on a free loopback
// port. The node stops when the test ends.
func New(t testing.TB, family Family, version string) *Node {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{
		Root:     t.TempDir(),
		User:     "core",
		hostKey:  signer,
		meta:     map[string]Meta{},
		units:    map[string]Unit{},
		commands: map[string]CommandFunc{},
		sudoOK:   true,
		conns:    map[net.Conn]struct{}{},
	}
	if err := n.layout(family, version); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.Address = ln.Addr().String()
	n.serve(ln)
	t.Cleanup(n.Close)
	return n
}

// HostKey returns the node's current host public key.
func (n *Node) HostKey() ssh.PublicKey {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hostKey.PublicKey()
}

// Port returns the listening port.
func (n *Node) Port() int {
	_, p, _ := net.SplitHostPort(n.Address)
	port, _ := strconv.Atoi(p)
	return port
}

// Authorize lets a public key log in as the node's user.
func (n *Node) Authorize(key ssh.PublicKey) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.authorized = append(n.authorized, key)
}

// ChangeHostKey gives the node a new host key (a rebuilt node, or an impostor).
func (n *Node) ChangeHostKey() {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hostKey, n.extraHostKeys = signer, nil
}

// SetHostKeys gives the node several host keys, as sshd with one HostKey
// line per type; the first is what HostKey returns.
func (n *Node) SetHostKeys(keys ...ssh.Signer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hostKey, n.extraHostKeys = keys[0], keys[1:]
}

// DisableSFTP refuses the sftp subsystem, as sshd without a Subsystem line.
func (n *Node) DisableSFTP() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.noSFTP = true
}

// SetMeta overrides ownership, mode or readability of a path.
func (n *Node) SetMeta(path string, m Meta) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.meta[filepath.Clean(path)] = m
}

// SetUnit sets what systemctl says about a unit.
func (n *Node) SetUnit(name string, u Unit) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.units[name] = u
}

// HandleCommand registers an answer for commands whose argv[0] is name.
func (n *Node) HandleCommand(name string, f CommandFunc) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.commands[name] = f
}

// SetSudo says whether `sudo -n` works for the login user.
func (n *Node) SetSudo(ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sudoOK = ok
}

// SetHandshakeDelay makes the server wait before its SSH version line.
func (n *Node) SetHandshakeDelay(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.handshakeDelay = d
}

// DropConnections closes the next `times` connections (-1: every one) after
// they served ops file reads or commands: a server dying mid-check.
func (n *Node) DropConnections(ops, times int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dropAfterOps, n.dropTimes = ops, times
}

// WriteFile writes a file below the node's root, creating directories.
func (n *Node) WriteFile(path, content string) error {
	p := filepath.Join(n.Root, filepath.Clean("/"+path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}

// Chtimes sets the modification time of a path below the node's root.
func (n *Node) Chtimes(path string, mtime time.Time) error {
	return os.Chtimes(filepath.Join(n.Root, filepath.Clean("/"+path)), mtime, mtime)
}

// Remove deletes a path below the node's root.
func (n *Node) Remove(path string) error {
	return os.RemoveAll(filepath.Join(n.Root, filepath.Clean("/"+path)))
}

// Symlink makes path a symlink to target below the node's root.
func (n *Node) Symlink(target, path string) error {
	p := filepath.Join(n.Root, filepath.Clean("/"+path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	_ = os.Remove(p)
	return os.Symlink(target, p)
}

// Reboot takes the node down: the listener and every connection close at
// once, change (if not nil) runs while the node is down (apply an update or a
// rollback), the boot id changes, and the listener returns on the same
// address after downFor. Reboot returns right away.
func (n *Node) Reboot(downFor time.Duration, change func(*Node)) {
	n.mu.Lock()
	ln := n.listener
	n.listener, n.down = nil, true
	for c := range n.conns {
		_ = c.Close()
	}
	n.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if change != nil {
		change(n)
	}
	_ = n.WriteFile("/proc/sys/kernel/random/boot_id", newBootID()+"\n")
	_ = n.WriteFile("/proc/uptime", "0.50 0.90\n")
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		time.Sleep(downFor)
		n.mu.Lock()
		closed := n.closed
		n.mu.Unlock()
		if closed {
			return
		}
		for i := 0; i < 50; i++ {
			ln, err := net.Listen("tcp", n.Address)
			if err == nil {
				n.serve(ln)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}

// Close stops the node.
func (n *Node) Close() {
	n.mu.Lock()
	n.closed = true
	ln := n.listener
	n.listener = nil
	for c := range n.conns {
		_ = c.Close()
	}
	n.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	n.wg.Wait()
}

func (n *Node) serve(ln net.Listener) {
	n.mu.Lock()
	n.listener, n.down = ln, false
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Accepted.Add(1)
			n.mu.Lock()
			if n.closed {
				n.mu.Unlock()
				_ = c.Close()
				return
			}
			n.conns[c] = struct{}{}
			n.mu.Unlock()
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.handleConn(c)
				n.mu.Lock()
				delete(n.conns, c)
				n.mu.Unlock()
				_ = c.Close()
			}()
		}
	}()
}

func (n *Node) serverConfig() *ssh.ServerConfig {
	n.mu.Lock()
	defer n.mu.Unlock()
	keys := append([]ssh.PublicKey(nil), n.authorized...)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if meta.User() != n.User {
				return nil, errors.New("unknown user")
			}
			for _, k := range keys {
				if string(k.Marshal()) == string(key.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
	}
	cfg.AddHostKey(n.hostKey)
	for _, k := range n.extraHostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

func newBootID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
