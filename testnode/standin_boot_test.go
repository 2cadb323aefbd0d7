package testnode

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// standinManifest returns the path of the stand-in manifest. A missing
// stand-in fails the test: make test builds it first (make standin).
func standinManifest(t *testing.T) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "build", "standin", "current", "manifest.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stand-in image missing (%v): build it with make standin", err)
	}
	return path
}

// adminKey is a throwaway login key for the user core.
func adminKey(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, FormatHostKey(signer.PublicKey())
}

// runSSH logs in as core with key, pinning hostKey, and runs cmd.
func runSSH(t *testing.T, node *Node, key ssh.Signer, hostKey string, cmd string) string {
	t.Helper()
	pinned, err := parseHostKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{
		User:              "core",
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback:   ssh.FixedHostKey(pinned.key),
		HostKeyAlgorithms: pinned.algorithms(),
		Timeout:           30 * time.Second,
	}
	addr := net.JoinHostPort(node.Host, strconv.Itoa(node.SSHPort))
	client, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("ssh core@%s: %v", addr, err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("ssh %q: %v\n%s", cmd, err, out)
	}
	return string(out)
}

func TestBootStandin(t *testing.T) {
	skipShort(t)
	manifest := standinManifest(t)
	for _, family := range []Family{Flatcar, MicroOS} {
		t.Run(string(family), func(t *testing.T) {
			s, err := LoadStandin(manifest, family)
			if err != nil {
				t.Fatal(err)
			}
			hk := newTestHostKey(t)
			login, loginPub := adminKey(t)
			stateDir := t.TempDir()
			cfg := s.Apply(Config{
				StateDir: stateDir,
				Ignition: ignitionWithHostKey(t, hk, loginPub),
				HostKey:  hk.Public,
			})

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			node, err := Start(ctx, cfg, logProgress(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = Stop(context.Background(), node.Paths, 0) })

			if node.HostKey != hk.Public {
				t.Errorf("host key seen %q, want the configured %q", node.HostKey, hk.Public)
			}
			out := runSSH(t, node, login, hk.Public, "cat /etc/os-release /sys/fs/selinux/enforce")
			if !strings.Contains(out, "VERSION="+s.BaseVersion) && !strings.Contains(out, `VERSION="`+s.BaseVersion) {
				t.Errorf("os-release does not show the base version %s:\n%s", s.BaseVersion, out)
			}
			if s.SELinux && !strings.HasSuffix(strings.TrimSpace(out), "1") {
				t.Errorf("SELinux is not enforcing on a stand-in that claims it:\n%s", out)
			}

			// Whether the guest reacts to the power button is the image's
			// business; Stop must end QEMU either way.
			how, err := Stop(ctx, node.Paths, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if _, alive := Alive(node.Paths); alive {
				t.Error("qemu still alive after Stop")
			}
			t.Logf("stand-in %s: %s", family, how)
		})
	}
}

func TestBootStandinBadConfigQuotesSerialLog(t *testing.T) {
	skipShort(t)
	s, err := LoadStandin(standinManifest(t), Flatcar)
	if err != nil {
		t.Fatal(err)
	}
	// Ignition 2.14 rejects spec 3.5.0: the node must not come up, and the
	// error must carry the console's account of why.
	cfg := s.Apply(Config{
		StateDir:    t.TempDir(),
		Ignition:    []byte(`{"ignition":{"version":"3.5.0"}}`),
		BootTimeout: 4 * time.Minute,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err = Start(ctx, cfg, logProgress(t))
	if err == nil {
		t.Fatal("Start succeeded with a config the node's Ignition rejects")
	}
	for _, want := range []string{"last lines of the serial console", "unsupported config version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q: %v", want, err)
		}
	}
	t.Logf("error as reported:\n%v", err)
}
