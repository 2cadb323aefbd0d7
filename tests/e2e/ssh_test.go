package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// admin runs commands on the node as its admin user, the host key pinned
// from the test node's host_key output.
type admin struct {
	addr   string
	config *ssh.ClientConfig
}

func newAdmin(t *testing.T, keysDir string, s state) *admin {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(keysDir, "admin_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.Node.HostKey))
	if err != nil {
		t.Fatalf("test node host_key output %q: %v", s.Node.HostKey, err)
	}
	return &admin{
		addr: net.JoinHostPort(s.Node.Host, strconv.Itoa(s.Node.SSHPort)),
		config: &ssh.ClientConfig{
			User:            s.AdminUser,
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.FixedHostKey(hostKey),
			Timeout:         20 * time.Second,
		},
	}
}

// run runs one command and returns its stdout; the whole exchange has a
// deadline, so a node that resets mid-command cannot hang the test.
func (a *admin) run(cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", a.addr, 20*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(90 * time.Second))
	c, chans, reqs, err := ssh.NewClientConn(conn, a.addr, a.config)
	if err != nil {
		return "", err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if err := sess.Run(cmd); err != nil {
		return stdout.String(), fmt.Errorf("%q: %w (stderr: %s)", cmd, err, stderr.String())
	}
	return stdout.String(), nil
}

func (a *admin) mustRun(t *testing.T, cmd string) string {
	t.Helper()
	out, err := a.run(cmd)
	if err != nil {
		t.Fatalf("on the node: %v", err)
	}
	return out
}
