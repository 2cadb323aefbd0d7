package testnode

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// QMP is a client of the QEMU Machine Protocol over a unix socket: one JSON
// object per line each way, a greeting from the server first, then
// qmp_capabilities before any other command. Asynchronous events that
// arrive between a command and its reply are skipped.
type QMP struct {
	conn net.Conn
	r    *bufio.Reader
	path string
}

// QMPError is an error reply of the server.
type QMPError struct {
	Command string
	Class   string
	Desc    string
}

func (e *QMPError) Error() string {
	return fmt.Sprintf("qmp %s: %s: %s", e.Command, e.Class, e.Desc)
}

// qmpMessage is any message the server sends.
type qmpMessage struct {
	QMP    json.RawMessage `json:"QMP"`
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
	Event string `json:"event"`
}

// DialQMP connects to the QMP socket at path and negotiates capabilities.
// The context bounds the dial and the negotiation.
func DialQMP(ctx context.Context, path string) (*QMP, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("dial qmp socket %s: %w", path, err)
	}
	q := &QMP{conn: conn, r: bufio.NewReader(conn), path: path}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	greeting, err := q.read()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read qmp greeting from %s: %w", path, err)
	}
	if greeting.QMP == nil {
		conn.Close()
		return nil, fmt.Errorf("qmp socket %s: first message is not a QMP greeting", path)
	}
	if _, err := q.Execute(ctx, "qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

// Close closes the connection.
func (q *QMP) Close() error {
	return q.conn.Close()
}

// Execute runs one command with optional arguments and returns its
// "return" value.
func (q *QMP) Execute(ctx context.Context, command string, arguments any) (json.RawMessage, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	_ = q.conn.SetDeadline(dl)

	req := map[string]any{"execute": command}
	if arguments != nil {
		req["arguments"] = arguments
	}
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode qmp %s: %w", command, err)
	}
	if _, err := q.conn.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("send qmp %s to %s: %w", command, q.path, err)
	}

	for {
		msg, err := q.read()
		if err != nil {
			return nil, fmt.Errorf("read reply to qmp %s from %s: %w", command, q.path, err)
		}
		switch {
		case msg.Event != "":
			continue
		case msg.Error != nil:
			return nil, &QMPError{Command: command, Class: msg.Error.Class, Desc: msg.Error.Desc}
		case msg.Return != nil:
			return msg.Return, nil
		default:
			return nil, fmt.Errorf("qmp %s: reply has neither return nor error", command)
		}
	}
}

func (q *QMP) read() (qmpMessage, error) {
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		return qmpMessage{}, err
	}
	var msg qmpMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		return qmpMessage{}, fmt.Errorf("decode qmp message %q: %w", truncate(string(line), 200), err)
	}
	return msg, nil
}

// Status is the run state that query-status reports.
type Status struct {
	Status  string `json:"status"` // e.g. "running", "shutdown", "paused"
	Running bool   `json:"running"`
}

// QueryStatus asks for the VM's run state.
func (q *QMP) QueryStatus(ctx context.Context) (Status, error) {
	raw, err := q.Execute(ctx, "query-status", nil)
	if err != nil {
		return Status{}, err
	}
	var s Status
	if err := json.Unmarshal(raw, &s); err != nil {
		return Status{}, fmt.Errorf("decode query-status reply: %w", err)
	}
	return s, nil
}

// SystemPowerdown presses the ACPI power button; the guest decides what to do.
func (q *QMP) SystemPowerdown(ctx context.Context) error {
	_, err := q.Execute(ctx, "system_powerdown", nil)
	return err
}

// Quit ends QEMU at once (a power cut for the guest). The server may close
// the connection before it replies; that counts as success.
func (q *QMP) Quit(ctx context.Context) error {
	_, err := q.Execute(ctx, "quit", nil)
	var qe *QMPError
	if err != nil && !errors.As(err, &qe) {
		return nil
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
