package nodesim

import (
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
)

// fsHandler serves the node's root read-only over SFTP, jailed: every path
// and every symlink target resolves inside Root.
type fsHandler struct {
	node *Node
	st   *connState
}

var errReadOnly = errors.New("read-only node")

// resolve maps a node path to a host path, following symlinks inside the jail
// (the final one only when follow is set).
func (n *Node) resolve(p string, follow bool) (string, string, error) {
	p = path.Clean("/" + p)
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		cur := "/"
		restarted := false
		for i, part := range parts {
			if part == "" {
				continue
			}
			next := path.Join(cur, part)
			last := i == len(parts)-1
			fi, err := os.Lstat(filepath.Join(n.Root, next))
			if err != nil || fi.Mode()&os.ModeSymlink == 0 || (last && !follow) {
				cur = next
				continue
			}
			target, err := os.Readlink(filepath.Join(n.Root, next))
			if err != nil {
				return "", "", err
			}
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			p = path.Clean(path.Join(append([]string{target}, parts[i+1:]...)...))
			restarted = true
			break
		}
		if !restarted {
			return filepath.Join(n.Root, cur), cur, nil
		}
	}
	return "", "", errors.New("too many levels of symbolic links")
}

func (n *Node) metaFor(p string) (Meta, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.meta[path.Clean(p)]
	return m, ok
}

// denied reports whether the login user may not see (stat) or read a path.
func (n *Node) denied(nodePath string, read bool) bool {
	for p := nodePath; ; p = path.Dir(p) {
		if m, ok := n.metaFor(p); ok && (m.NoStat || (read && p == nodePath && m.NoRead)) {
			return true
		}
		if p == "/" {
			return false
		}
	}
}

func (h *fsHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if !h.st.op() {
		return nil, io.ErrUnexpectedEOF
	}
	host, nodePath, err := h.node.resolve(r.Filepath, true)
	if err != nil {
		return nil, err
	}
	if h.node.denied(r.Filepath, true) || h.node.denied(nodePath, true) {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	return os.Open(host)
}

func (h *fsHandler) Filewrite(*sftp.Request) (io.WriterAt, error) { return nil, errReadOnly }
func (h *fsHandler) Filecmd(*sftp.Request) error                  { return errReadOnly }

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

func (h *fsHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	return h.list(r, true)
}

func (h *fsHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return h.list(r, false)
}

func (h *fsHandler) Readlink(p string) (string, error) {
	if !h.st.op() {
		return "", io.ErrUnexpectedEOF
	}
	host, nodePath, err := h.node.resolve(p, false)
	if err != nil {
		return "", err
	}
	if h.node.denied(nodePath, false) {
		return "", sftp.ErrSSHFxPermissionDenied
	}
	return os.Readlink(host)
}

func (h *fsHandler) list(r *sftp.Request, follow bool) (sftp.ListerAt, error) {
	if !h.st.op() {
		return nil, io.ErrUnexpectedEOF
	}
	host, nodePath, err := h.node.resolve(r.Filepath, follow || r.Method == "List")
	if err != nil {
		return nil, err
	}
	if h.node.denied(r.Filepath, false) || h.node.denied(nodePath, false) {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	switch r.Method {
	case "List":
		entries, err := os.ReadDir(host)
		if err != nil {
			return nil, err
		}
		var out listerAt
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				return nil, err
			}
			out = append(out, h.node.info(path.Join(nodePath, e.Name()), fi))
		}
		return out, nil
	default: // Stat, Lstat
		var fi os.FileInfo
		if follow {
			fi, err = os.Stat(host)
		} else {
			fi, err = os.Lstat(host)
		}
		if err != nil {
			return nil, err
		}
		return listerAt{h.node.info(nodePath, fi)}, nil
	}
}

// fileInfo reports the simulated owner and mode of a path.
type fileInfo struct {
	os.FileInfo
	mode     os.FileMode
	uid, gid uint32
}

func (f fileInfo) Mode() os.FileMode { return f.mode }
func (f fileInfo) Uid() uint32       { return f.uid }
func (f fileInfo) Gid() uint32       { return f.gid }
func (f fileInfo) Sys() any          { return nil }

func (n *Node) info(nodePath string, fi os.FileInfo) os.FileInfo {
	out := fileInfo{FileInfo: fi, mode: fi.Mode()}
	if m, ok := n.metaFor(nodePath); ok {
		if m.Mode != 0 {
			out.mode = fi.Mode()&^(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky) | m.Mode
		}
		out.uid, out.gid = m.UID, m.GID
	}
	return out
}
