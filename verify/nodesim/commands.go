package nodesim

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// splitWords undoes verify.ShellQuote: words separated by spaces, single
// quotes group, '\” is a literal quote. Enough for the commands the
// verifier sends; not a shell.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(ch)
		case ch == '\'':
			quoted, inWord = true, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func (n *Node) runCommand(cmdline string) (string, string, int) {
	argv := splitWords(cmdline)
	if len(argv) > 0 && argv[0] == "env" {
		argv = argv[1:]
		for len(argv) > 0 && strings.Contains(argv[0], "=") {
			argv = argv[1:]
		}
	}
	return n.dispatch(argv, "")
}

func (n *Node) dispatch(argv []string, asUser string) (string, string, int) {
	if len(argv) == 0 {
		return "", "", 0
	}
	n.mu.Lock()
	custom := n.commands[argv[0]]
	sudoOK := n.sudoOK
	n.mu.Unlock()
	if custom != nil {
		return custom(argv, asUser)
	}
	switch argv[0] {
	case "sudo":
		return n.sudo(argv[1:], sudoOK)
	case "sh":
		return n.shWrapper(argv[1:], asUser)
	case "systemctl":
		return n.systemctl(argv[1:])
	case "stat":
		return n.stat(argv[1:], asUser == "root")
	case "cat":
		return n.cat(argv[1:], asUser == "root")
	case "id":
		if asUser == "" {
			asUser = n.User
		}
		return asUser + "\n", "", 0
	}
	return "", "sh: 1: " + argv[0] + ": not found\n", 127
}

func (n *Node) sudo(args []string, ok bool) (string, string, int) {
	user := "root"
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-u":
			if len(args) < 2 {
				return "", "sudo: option requires an argument -- 'u'\n", 1
			}
			user, args = args[1], args[1:]
		case "--":
			args = args[1:]
			return n.sudoRun(args, user, ok)
		}
		args = args[1:]
	}
	return n.sudoRun(args, user, ok)
}

func (n *Node) sudoRun(args []string, user string, ok bool) (string, string, int) {
	if !ok {
		return "", "sudo: a password is required\n", 1
	}
	return n.dispatch(args, user)
}

func (n *Node) systemctl(args []string) (string, string, int) {
	var words []string
	failed := false
	for _, a := range args {
		switch {
		case a == "--failed":
			failed = true
		case a == "--":
		case strings.HasPrefix(a, "--"):
		default:
			words = append(words, a)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if failed {
		names := make([]string, 0, len(n.units))
		for name, u := range n.units {
			if u.Active == "failed" {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		var b strings.Builder
		for _, name := range names {
			fmt.Fprintf(&b, "%s loaded failed failed %s\n", name, name)
		}
		return b.String(), "", 0
	}
	if len(words) != 2 {
		return "", "systemctl: unsupported call\n", 1
	}
	u, known := n.units[words[1]]
	switch words[0] {
	case "is-enabled":
		if !known || u.Enabled == "" {
			return "", "Failed to get unit file state for " + words[1] + ": No such file or directory\n", 1
		}
		code := 1
		if u.Enabled == "enabled" || u.Enabled == "static" {
			code = 0
		}
		return u.Enabled + "\n", "", code
	case "is-active":
		state := u.Active
		if state == "" {
			state = "inactive"
		}
		code := 3
		if state == "active" {
			code = 0
		}
		return state + "\n", "", code
	}
	return "", "systemctl: unknown command " + words[0] + "\n", 1
}

func pathArg(args []string) (string, bool) {
	for i, a := range args {
		if a == "--" && i+1 < len(args) {
			return args[i+1], true
		}
	}
	if len(args) > 0 {
		return args[len(args)-1], true
	}
	return "", false
}

// stat answers `stat [-L] -c '%f %u %g' -- PATH`.
func (n *Node) stat(args []string, root bool) (string, string, int) {
	p, ok := pathArg(args)
	if !ok {
		return "", "stat: missing operand\n", 1
	}
	follow := false
	for _, a := range args {
		if a == "-L" {
			follow = true
		}
	}
	host, nodePath, err := n.resolve(p, follow)
	if err != nil {
		return "", "stat: " + err.Error() + "\n", 1
	}
	if !root && n.denied(nodePath, false) {
		return "", "stat: cannot statx '" + p + "': Permission denied\n", 1
	}
	var fi os.FileInfo
	if follow {
		fi, err = os.Stat(host)
	} else {
		fi, err = os.Lstat(host)
	}
	if err != nil {
		return "", "stat: cannot statx '" + p + "': No such file or directory\n", 1
	}
	info := n.info(nodePath, fi).(fileInfo)
	raw := uint32(info.mode.Perm())
	if info.mode&os.ModeSetuid != 0 {
		raw |= 0o4000
	}
	if info.mode&os.ModeSetgid != 0 {
		raw |= 0o2000
	}
	if info.mode&os.ModeSticky != 0 {
		raw |= 0o1000
	}
	switch {
	case info.mode.IsRegular():
		raw |= 0o100000
	case info.mode.IsDir():
		raw |= 0o040000
	case info.mode&os.ModeSymlink != 0:
		raw |= 0o120000
	}
	return fmt.Sprintf("%x %d %d\n", raw, info.uid, info.gid), "", 0
}

func (n *Node) cat(args []string, root bool) (string, string, int) {
	p, ok := pathArg(args)
	if !ok {
		return "", "", 0
	}
	host, nodePath, err := n.resolve(p, true)
	if err != nil {
		return "", "cat: " + err.Error() + "\n", 1
	}
	if !root && (n.denied(nodePath, true) || n.denied(p, true)) {
		return "", "cat: " + p + ": Permission denied\n", 1
	}
	data, err := os.ReadFile(host)
	if err != nil {
		return "", "cat: " + p + ": No such file or directory\n", 1
	}
	return string(data), "", 0
}

// shWrapper answers the verifier's probe wrapper, `sh -c '...; echo MARKER;
// exec "$0" "$@"' ARGV...`: it prints the marker and runs ARGV. Any other
// shell use is "not found": nodesim is not a shell.
func (n *Node) shWrapper(args []string, asUser string) (string, string, int) {
	if len(args) < 3 || args[0] != "-c" || !strings.Contains(args[1], `exec "$0" "$@"`) {
		return "", "sh: nodesim runs no shell scripts\n", 127
	}
	marker := ""
	if i := strings.Index(args[1], "echo "); i >= 0 {
		marker = strings.Fields(args[1][i+len("echo "):])[0]
		marker = strings.TrimSuffix(marker, ";") + "\n"
	}
	out, errOut, code := n.dispatch(args[2:], asUser)
	if code == 127 && strings.Contains(errOut, "not found") {
		errOut = "sh: 1: exec: " + args[2] + ": not found\n"
	}
	return marker + out, errOut, code
}
