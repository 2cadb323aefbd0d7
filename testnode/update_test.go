package testnode

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// execServer is an SSH server on a loopback port that accepts one login key
// and answers exec requests with reply(command).
type execServer struct {
	Port    int
	HostKey string

	mu       sync.Mutex
	commands []string
}

func startExecServer(t *testing.T, login ssh.PublicKey, reply func(cmd string) (string, uint32)) *execServer {
	t.Helper()
	host := ed25519Signer(t)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == string(login.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(host)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &execServer{Port: l.Addr().(*net.TCPAddr).Port, HostKey: FormatHostKey(host.PublicKey())}

	serveSession := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
		defer ch.Close()
		for req := range reqs {
			if req.Type != "exec" || len(req.Payload) < 4 {
				_ = req.Reply(false, nil)
				continue
			}
			n := binary.BigEndian.Uint32(req.Payload)
			cmd := string(req.Payload[4 : 4+n])
			_ = req.Reply(true, nil)
			s.mu.Lock()
			s.commands = append(s.commands, cmd)
			s.mu.Unlock()
			out, status := reply(cmd)
			_, _ = ch.Write([]byte(out))
			_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
			return
		}
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
				if err != nil {
					return
				}
				go ssh.DiscardRequests(reqs)
				for nc := range chans {
					ch, creqs, err := nc.Accept()
					if err != nil {
						return
					}
					go serveSession(ch, creqs)
				}
			}()
		}
	}()
	return s
}

func (s *execServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// fakeQEMUProcess starts a process whose command line looks like the
// node's QEMU (argv[0] "qemu-fake", "-pidfile PATH") and writes the pidfile.
func fakeQEMUProcess(t *testing.T, p Paths) *exec.Cmd {
	t.Helper()
	cmd := &exec.Cmd{Path: "/bin/sh", Args: []string{"qemu-fake", "-c", "sleep 600", "x", "-pidfile", p.PIDFile}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if err := os.WriteFile(p.PIDFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// fakeNode simulates a node's boots: bootCommand answers with the current
// boot; the update command switches to a new boot running next.
type fakeNode struct {
	mu      sync.Mutex
	bootID  string
	version string
	next    string
}

func (n *fakeNode) reply(cmd string) (string, uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case cmd == bootCommand:
		return n.bootID + "\n" + `"` + n.version + `"` + "\n", 0
	case strings.HasPrefix(cmd, "sudo /usr/sbin/standin-update "):
		n.bootID += "-rebooted"
		n.version = n.next
		return "standin-update: staged\n", 0
	}
	return "unknown command\n", 127
}

func TestUpdate(t *testing.T) {
	loginKey := ed25519Signer(t)
	login := Login{User: "core", Signer: loginKey}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	tests := []struct {
		name, next   string
		wantRollback bool
	}{
		{"update boots the new version", "1.0.1", false},
		{"failed trial falls back", "1.0.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &fakeNode{bootID: "boot-1", version: "1.0.0", next: tt.next}
			srv := startExecServer(t, loginKey.PublicKey(), node.reply)
			p := PathsIn(t.TempDir())
			fakeQEMUProcess(t, p)
			target := Target{Host: "127.0.0.1", Port: srv.Port, HostKey: srv.HostKey}

			cmd, err := UpdateCommand(Flatcar, true, "1.0.1")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Update(ctx, p, target, login, cmd, 30*time.Second, logProgress(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.Before != (Boot{ID: "boot-1", Version: "1.0.0"}) {
				t.Errorf("before = %+v", res.Before)
			}
			if res.After.ID == res.Before.ID || res.After.Version != tt.next {
				t.Errorf("after = %+v, want a new boot running %s", res.After, tt.next)
			}
			if got := res.RolledBack("1.0.1"); got != tt.wantRollback {
				t.Errorf("RolledBack = %v, want %v", got, tt.wantRollback)
			}
			want := []string{bootCommand, "sudo /usr/sbin/standin-update 1.0.1", bootCommand}
			if got := srv.received(); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("commands = %q, want %q", got, want)
			}
		})
	}

	t.Run("wrong host key is refused", func(t *testing.T) {
		node := &fakeNode{bootID: "b", version: "1"}
		srv := startExecServer(t, loginKey.PublicKey(), node.reply)
		target := Target{Host: "127.0.0.1", Port: srv.Port, HostKey: FormatHostKey(ed25519Signer(t).PublicKey())}
		if _, err := ReadBoot(ctx, target, login); err == nil {
			t.Fatal("logged in to a server with another host key than the pinned one")
		}
	})

	t.Run("node that never comes back times out with the serial tail", func(t *testing.T) {
		node := &fakeNode{bootID: "b", version: "1.0.0"}
		srv := startExecServer(t, loginKey.PublicKey(), func(cmd string) (string, uint32) {
			if cmd == bootCommand {
				return node.reply(cmd) // same boot forever
			}
			return "", 0
		})
		p := PathsIn(t.TempDir())
		fakeQEMUProcess(t, p)
		_ = os.WriteFile(p.SerialLog, []byte("stage1: trying USR-B\n"), 0o600)
		target := Target{Host: "127.0.0.1", Port: srv.Port, HostKey: srv.HostKey}
		_, err := Update(ctx, p, target, login, "true", 3*time.Second, nil)
		if err == nil || !strings.Contains(err.Error(), "stage1: trying USR-B") {
			t.Fatalf("got %v, want a timeout quoting the serial log", err)
		}
	})
}

func TestUpdateCommand(t *testing.T) {
	tests := []struct {
		family  Family
		standin bool
		version string
		want    string // substring; "" = error
	}{
		{Flatcar, true, "1.0.1", "sudo /usr/sbin/standin-update 1.0.1"},
		{MicroOS, true, "1.0.2-broken", "sudo /usr/sbin/standin-update 1.0.2-broken"},
		{Flatcar, false, "4081.2.0", "update_engine_client -update"},
		{MicroOS, false, "20260101", "transactional-update --non-interactive dup"},
		{Flatcar, true, "1.0.1; rm -rf /", ""},
		{Flatcar, true, "../x", ""},
		{Flatcar, true, "", ""},
	}
	for _, tt := range tests {
		got, err := UpdateCommand(tt.family, tt.standin, tt.version)
		if tt.want == "" {
			if err == nil {
				t.Errorf("UpdateCommand(%s, %v, %q) = %q, want an error", tt.family, tt.standin, tt.version, got)
			}
			continue
		}
		if err != nil || !strings.Contains(got, tt.want) {
			t.Errorf("UpdateCommand(%s, %v, %q) = %q, %v; want it to contain %q",
				tt.family, tt.standin, tt.version, got, err, tt.want)
		}
	}
}

func TestStopKillsByPidfile(t *testing.T) {
	p := PathsIn(t.TempDir())
	cmd := fakeQEMUProcess(t, p)
	if pid, alive := Alive(p); !alive || pid != cmd.Process.Pid {
		t.Fatalf("Alive = %d, %v; want the fake QEMU %d", pid, alive, cmd.Process.Pid)
	}
	// No QMP socket: the power button and quit fail, the kill by pid is left.
	how, err := Stop(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if how != StoppedKill {
		t.Errorf("stopped: %q, want %q", how, StoppedKill)
	}
	if _, alive := Alive(p); alive {
		t.Error("fake QEMU still alive after Stop")
	}
}
