package testnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Login is how testnode logs in to a node to drive it, e.g. to update it.
type Login struct {
	User   string
	Signer ssh.Signer
}

// ParseLogin makes a Login from a user name and an unencrypted private key
// in PEM or OpenSSH form.
func ParseLogin(user, privateKey string) (Login, error) {
	if user == "" {
		return Login{}, errors.New("ssh user is empty")
	}
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return Login{}, fmt.Errorf("parse ssh private key: %w", err)
	}
	return Login{User: user, Signer: signer}, nil
}

// Target is where a running node answers SSH and the host key it must show.
type Target struct {
	Host    string
	Port    int
	HostKey string // authorized_keys form; required: connections are always pinned
}

// sshExchangeTimeout bounds one login and command. A node that resets
// under an open connection leaves QEMU's user networking holding the host
// side open; without a deadline the client would wait forever.
const sshExchangeTimeout = 3 * time.Minute

// Run logs in to t and runs cmd, returning its combined output.
func Run(ctx context.Context, t Target, login Login, cmd string) (string, error) {
	pinned, err := parseHostKey(t.HostKey)
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	c, cancel := context.WithTimeout(ctx, sshExchangeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(c, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(c, func() { conn.Close() })
	defer stop()
	// A rebooting guest leaves the forwarded connection silent: give up
	// soon unless the server speaks.
	_ = conn.SetDeadline(time.Now().Add(loginBannerTimeout))
	conn = &extendOnRead{Conn: conn, extend: sshExchangeTimeout}

	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{
		User:              login.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(login.Signer)},
		HostKeyCallback:   ssh.FixedHostKey(pinned.key),
		HostKeyAlgorithms: pinned.algorithms(),
	})
	if err != nil {
		return "", fmt.Errorf("ssh %s@%s: %w", login.User, addr, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer func() { _ = client.Close() }()
	sess, err := client.NewSession()
	if err != nil {
		return "", fmt.Errorf("ssh session on %s: %w", addr, err)
	}
	defer func() { _ = sess.Close() }()
	out, err := sess.CombinedOutput(cmd)
	if err != nil {
		return string(out), fmt.Errorf("run %q on %s: %w", cmd, addr, err)
	}
	return string(out), nil
}

// Boot identifies one boot of a node and the OS version it runs.
type Boot struct {
	ID      string // /proc/sys/kernel/random/boot_id, new on every boot
	Version string // VERSION= of /etc/os-release
}

const bootCommand = `cat /proc/sys/kernel/random/boot_id && sed -n 's/^VERSION=//p' /etc/os-release`

// ReadBoot reads the boot id and OS version of the running node.
func ReadBoot(ctx context.Context, t Target, login Login) (Boot, error) {
	out, err := Run(ctx, t, login, bootCommand)
	if err != nil {
		return Boot{}, err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.TrimSpace(lines[0]) == "" {
		return Boot{}, fmt.Errorf("read boot id and version: unexpected output %q", out)
	}
	return Boot{
		ID:      strings.TrimSpace(lines[0]),
		Version: strings.Trim(strings.TrimSpace(lines[1]), `"'`),
	}, nil
}

// UpdateCommand returns the shell command that updates a node of family to
// version the way that OS does, and reboots it detached so that the SSH
// session ends cleanly. On the stand-in, standin-update does both.
func UpdateCommand(family Family, standin bool, version string) (string, error) {
	if version == "" || strings.ContainsAny(version, " \t\n'\"\\$`;&|<>/") {
		return "", fmt.Errorf("os_version %q is not a plain version string", version)
	}
	reboot := "(sleep 2; sudo systemctl reboot) >/dev/null 2>&1 </dev/null &"
	switch {
	case standin:
		return "sudo /usr/sbin/standin-update " + version, nil
	case family == Flatcar:
		// update_engine installs what the configured update server offers;
		// the version that boots is checked afterwards.
		return "sudo update_engine_client -update && " + reboot, nil
	case family == MicroOS:
		return "sudo transactional-update --non-interactive dup && " + reboot, nil
	}
	return "", fmt.Errorf("no update method for os_family %q", family)
}

// UpdateResult is the node's boot before and after an update.
type UpdateResult struct {
	Before Boot
	After  Boot
}

// RolledBack reports whether the node came back on another version than
// the one asked for.
func (r UpdateResult) RolledBack(want string) bool {
	return r.After.Version != want
}

// Update runs command on the node (an update that ends in a reboot), then
// waits until the node answers from a new boot and reads its version. The
// QEMU process and the port stay the same: a guest reboot does not end it.
// A node that does not come back within timeout yields an error with the
// serial console's last lines.
func Update(ctx context.Context, p Paths, t Target, login Login, command string,
	timeout time.Duration, progress Progress,
) (UpdateResult, error) {
	before, err := ReadBoot(ctx, t, login)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("read the node's boot before the update: %w", err)
	}
	progress.report("updating", map[string]any{"from_version": before.Version, "command": command})
	out, err := Run(ctx, t, login, command)
	if err != nil {
		return UpdateResult{Before: before}, fmt.Errorf("%w\n%s", err, strings.TrimSpace(out))
	}
	progress.report("update staged; waiting for the reboot", map[string]any{"output": strings.TrimSpace(out)})

	start := time.Now()
	lastReport := start
	for {
		if _, alive := Alive(p); !alive {
			return UpdateResult{Before: before}, fmt.Errorf("qemu exited during the update\n\n"+
				"last lines of the serial console (%s):\n%s", p.SerialLog, SerialTail(p.SerialLog, 40))
		}
		after, err := ReadBoot(ctx, t, login)
		if err == nil && after.ID != before.ID {
			progress.report("node back after the update", map[string]any{
				"version": after.Version, "seconds": time.Since(start).Seconds(),
			})
			return UpdateResult{Before: before, After: after}, nil
		}
		if time.Since(start) > timeout {
			return UpdateResult{Before: before}, fmt.Errorf("node did not come back from a new boot within %s "+
				"(last error: %v)\n\nlast lines of the serial console (%s):\n%s",
				timeout, err, p.SerialLog, SerialTail(p.SerialLog, 40))
		}
		if time.Since(lastReport) >= 10*time.Second {
			progress.report("waiting for the node to come back", map[string]any{
				"elapsed_seconds": int(time.Since(start).Seconds()),
			})
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return UpdateResult{Before: before}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
