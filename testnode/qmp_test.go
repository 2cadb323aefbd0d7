package testnode

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeQMP is a QMP server on a unix socket that records the commands it
// receives and answers the way QEMU does.
type fakeQMP struct {
	path string
	l    net.Listener

	mu       sync.Mutex
	commands []string
}

func startFakeQMP(t *testing.T) *fakeQMP {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeQMP{path: path, l: l}
	t.Cleanup(func() { l.Close() })
	go f.serve()
	return f
}

func (f *fakeQMP) serve() {
	for {
		conn, err := f.l.Accept()
		if err != nil {
			return
		}
		go f.handle(conn)
	}
}

func (f *fakeQMP) handle(conn net.Conn) {
	defer conn.Close()
	enc := json.NewEncoder(conn)
	_ = enc.Encode(map[string]any{"QMP": map[string]any{
		"version": map[string]any{"qemu": map[string]int{"major": 7, "minor": 2, "micro": 0}}, "capabilities": []string{},
	}})
	negotiated := false
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		var req struct {
			Execute string `json:"execute"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			_ = enc.Encode(map[string]any{"error": map[string]string{"class": "GenericError", "desc": "bad json"}})
			continue
		}
		f.mu.Lock()
		f.commands = append(f.commands, req.Execute)
		f.mu.Unlock()

		if !negotiated && req.Execute != "qmp_capabilities" {
			_ = enc.Encode(map[string]any{"error": map[string]string{
				"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}})
			continue
		}
		switch req.Execute {
		case "qmp_capabilities":
			negotiated = true
			_ = enc.Encode(map[string]any{"return": map[string]any{}})
		case "query-status":
			_ = enc.Encode(map[string]any{"return": map[string]any{"status": "running", "singlestep": false, "running": true}})
		case "system_powerdown":
			// QEMU sends the event before the reply; the client must skip it.
			_ = enc.Encode(map[string]any{"event": "POWERDOWN", "timestamp": map[string]int{"seconds": 1}})
			_ = enc.Encode(map[string]any{"return": map[string]any{}})
		case "quit":
			// QEMU may close before or after replying; close without a reply.
			return
		default:
			_ = enc.Encode(map[string]any{"error": map[string]string{
				"class": "CommandNotFound", "desc": "The command " + req.Execute + " has not been found"}})
		}
	}
}

func (f *fakeQMP) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

func TestQMP(t *testing.T) {
	f := startFakeQMP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	q, err := DialQMP(ctx, f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	st, err := q.QueryStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "running" || !st.Running {
		t.Errorf("query-status = %+v, want running", st)
	}
	if err := q.SystemPowerdown(ctx); err != nil {
		t.Errorf("system_powerdown with an event before the reply: %v", err)
	}

	_, err = q.Execute(ctx, "no-such-command", nil)
	var qe *QMPError
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
		t.Errorf("unknown command: got %v, want a QMPError of class CommandNotFound", err)
	}

	if err := q.Quit(ctx); err != nil {
		t.Errorf("quit with the connection closed by the server: %v", err)
	}

	want := []string{"qmp_capabilities", "query-status", "system_powerdown", "no-such-command", "quit"}
	if got := f.received(); !slices.Equal(got, want) {
		t.Errorf("server received %q, want %q", got, want)
	}
}

func TestDialQMPNoGreeting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err == nil {
			_, _ = conn.Write([]byte(`{"return": {}}` + "\n"))
			defer conn.Close()
			time.Sleep(time.Second)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := DialQMP(ctx, path); err == nil {
		t.Fatal("DialQMP accepted a server that sent no greeting")
	}
}

func TestDialQMPNoSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := DialQMP(ctx, filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Fatal("DialQMP succeeded without a socket")
	}
}
