package verify

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// silentListener accepts connections and never writes to them, until the
// test ends.
func silentListener(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln
}

// verifyReturns runs Verify and fails the test, instead of hanging it, when
// Verify does not return long after its own timeout.
func verifyReturns(t *testing.T, tgt Target, opts Options) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Verify(context.Background(), tgt, nil, opts)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(opts.Timeout + time.Minute):
		t.Fatalf("Verify did not return although its timeout is %s", opts.Timeout)
		return nil
	}
}

// An agent that accepts the connection but never answers must not hang the
// verification: the error names the agent.
func TestStalledAgentIsBounded(t *testing.T) {
	_, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	silentListener(t, "unix", sock)
	tgt.Auth = Auth{AgentSocket: sock}
	opts := fastOptions()
	opts.Timeouts.Handshake = 300 * time.Millisecond
	err := verifyReturns(t, tgt, opts)
	if err == nil || !strings.Contains(err.Error(), "SSH agent at "+sock+" did not answer within") {
		t.Fatalf("got %v, want the agent named as not answering", err)
	}
	if !IsPermanent(err) {
		t.Errorf("a stalled agent is retried: %v", err)
	}
}

// A port that accepts but never speaks SSH says so.
func TestPortWithoutSSHBanner(t *testing.T) {
	ln := silentListener(t, "tcp", "127.0.0.1:0")
	_, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	tgt.Port = ln.Addr().(*net.TCPAddr).Port
	opts := fastOptions()
	opts.Timeout = 700 * time.Millisecond
	opts.Timeouts.Handshake = 5 * time.Second // the overall limit ends the wait first
	err := verifyReturns(t, tgt, opts)
	if err == nil || !strings.Contains(err.Error(), "no SSH banner within") ||
		strings.Contains(err.Error(), "use of closed network connection") {
		t.Fatalf("got %v, want a no-banner error", err)
	}
}

// sshd without an SFTP subsystem will not grow one while we wait: fail at
// once with the fix, instead of retrying until the timeout.
func TestNoSFTPSubsystemFailsFast(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.DisableSFTP()
	opts := fastOptions()
	var attempts int
	opts.Progress = func(Progress) { attempts++ }
	err := verifyReturns(t, tgt, opts)
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "no SFTP subsystem") {
		t.Fatalf("got %v, want a permanent no-SFTP error", err)
	}
	if attempts != 0 {
		t.Errorf("retried %d times", attempts)
	}
}
