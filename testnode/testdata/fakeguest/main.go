// Command fakeguest is the userland of the throwaway guest that testnode's
// QEMU tests boot before (and besides) the stand-in image: it reads the
// Ignition config from fw_cfg like a real initrd would, takes the SSH host
// key the config supplies, and answers SSH key exchanges on port 22 while
// refusing every login. It runs inside the guest only.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

const hostKeyPath = "/etc/ssh/ssh_host_ed25519_key"

var fwCfgKeys = []string{"opt/org.flatcar-linux/config", "opt/com.coreos/config"}

type ignition struct {
	Storage struct {
		Files []struct {
			Path     string `json:"path"`
			Contents struct {
				Source string `json:"source"`
			} `json:"contents"`
		} `json:"files"`
	} `json:"storage"`
}

func say(format string, args ...any) {
	fmt.Printf("fakeguest: "+format+"\n", args...)
}

// readConfig returns the raw Ignition config from fw_cfg and the key it was under.
func readConfig() ([]byte, string, error) {
	for _, k := range fwCfgKeys {
		data, err := os.ReadFile("/sys/firmware/qemu_fw_cfg/by_name/" + k + "/raw")
		if err == nil {
			return data, k, nil
		}
	}
	return nil, "", errors.New("no ignition config in fw_cfg")
}

func hostKey(cfg []byte) (ssh.Signer, error) {
	var ign ignition
	if err := json.Unmarshal(cfg, &ign); err != nil {
		return nil, fmt.Errorf("parse ignition: %w", err)
	}
	for _, f := range ign.Storage.Files {
		if f.Path != hostKeyPath {
			continue
		}
		data, ok := strings.CutPrefix(f.Contents.Source, "data:,")
		if !ok {
			return nil, errors.New("host key source is not a plain data URL")
		}
		pem, err := url.PathUnescape(data)
		if err != nil {
			return nil, err
		}
		return ssh.ParsePrivateKey([]byte(pem))
	}
	return nil, errors.New("config has no " + hostKeyPath)
}

func main() {
	cfg, key, err := readConfig()
	if err != nil {
		say("%v", err)
		os.Exit(1)
	}
	say("ignition config from fw_cfg key %s (%d bytes)", key, len(cfg))
	signer, err := hostKey(cfg)
	if err != nil {
		say("%v", err)
		os.Exit(1)
	}

	srv := &ssh.ServerConfig{
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			return nil, errors.New("no logins on the fake guest")
		},
	}
	srv.AddHostKey(signer)
	l, err := net.Listen("tcp", ":22")
	if err != nil {
		say("listen: %v", err)
		os.Exit(1)
	}
	say("sshd listening with host key %s", ssh.FingerprintSHA256(signer.PublicKey()))
	for {
		conn, err := l.Accept()
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			_, _, _, _ = ssh.NewServerConn(conn, srv)
		}()
	}
}
