package nodesim

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// connState counts the operations of one connection, for DropConnections.
type connState struct {
	mu   sync.Mutex
	ops  int
	drop int // close after this many ops; 0: never
	conn net.Conn
}

func (s *connState) op() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops++
	if s.drop > 0 && s.ops >= s.drop {
		_ = s.conn.Close()
		return false
	}
	return true
}

func (n *Node) handleConn(c net.Conn) {
	n.mu.Lock()
	delay := n.handshakeDelay
	st := &connState{conn: c}
	if n.dropAfterOps > 0 && n.dropTimes != 0 {
		st.drop = n.dropAfterOps
		if n.dropTimes > 0 {
			n.dropTimes--
		}
	}
	n.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	sconn, chans, reqs, err := ssh.NewServerConn(c, n.serverConfig())
	if err != nil {
		return
	}
	defer func() { _ = sconn.Close() }()
	n.Handshakes.Add(1)
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go n.session(st, ch, chReqs)
	}
}

func (n *Node) session(st *connState, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer func() { _ = ch.Close() }()
	for req := range reqs {
		switch req.Type {
		case "exec":
			if len(req.Payload) < 4 {
				_ = req.Reply(false, nil)
				continue
			}
			l := binary.BigEndian.Uint32(req.Payload)
			cmd := string(req.Payload[4 : 4+min(int(l), len(req.Payload)-4)])
			_ = req.Reply(true, nil)
			if !st.op() {
				return
			}
			stdout, stderr, code := n.runCommand(cmd)
			_, _ = ch.Write([]byte(stdout))
			_, _ = ch.Stderr().Write([]byte(stderr))
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, uint32(code))
			_, _ = ch.SendRequest("exit-status", false, status)
			return
		case "subsystem":
			n.mu.Lock()
			noSFTP := n.noSFTP
			n.mu.Unlock()
			if len(req.Payload) < 4 || string(req.Payload[4:]) != "sftp" || noSFTP {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			h := &fsHandler{node: n, st: st}
			srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
			_ = srv.Serve()
			_ = srv.Close()
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}
