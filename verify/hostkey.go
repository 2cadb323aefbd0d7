package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyPin is the set of host keys a node may present. It comes from
// known_hosts lines, authorized_keys-style lines ("ssh-ed25519 AAAA...") or
// SHA256 fingerprints ("SHA256:..."). The host field of a known_hosts line
// is not compared: the pin belongs to the one node being verified.
type HostKeyPin struct {
	keys         []ssh.PublicKey
	fingerprints []string
	source       string
}

// ParseHostKeyPin reads a pin: one or more lines, each a known_hosts line,
// a public key line or a SHA256 fingerprint. Blank lines and # comments are
// skipped; anything else that is none of the three is an error naming the line.
func ParseHostKeyPin(text string) (*HostKeyPin, error) {
	pin := &HostKeyPin{source: strings.TrimSpace(text)}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if fp, ok, err := parseFingerprintLine(line); ok || err != nil {
			if err != nil {
				return nil, fmt.Errorf("host key line %d: %w", i+1, err)
			}
			pin.fingerprints = append(pin.fingerprints, fp)
			continue
		}
		if strings.HasPrefix(line, "@") {
			return nil, fmt.Errorf("host key line %d: markers such as @cert-authority or @revoked are "+
				"not supported; give the node's own host key", i+1)
		}
		if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
			pin.keys = append(pin.keys, key)
			continue
		}
		_, _, key, _, _, err := ssh.ParseKnownHosts([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("host key line %d is not a known_hosts line, a public key or a "+
				"SHA256 fingerprint: %w", i+1, err)
		}
		pin.keys = append(pin.keys, key)
	}
	if len(pin.keys) == 0 && len(pin.fingerprints) == 0 {
		return nil, errors.New("host key is empty: give a known_hosts line, a public key or a SHA256 fingerprint")
	}
	return pin, nil
}

// md5Fingerprint is the colon-separated hex form of an MD5 fingerprint.
var md5Fingerprint = regexp.MustCompile(`^(?i:md5:)?([0-9a-fA-F]{2}:){15}[0-9a-fA-F]{2}$`)

// parseFingerprintLine reads "SHA256:..." or the whole line `ssh-keygen -lf`
// prints ("256 SHA256:... comment (ED25519)"). ok is false when the line is
// no fingerprint at all; err says why a fingerprint-like line is refused.
func parseFingerprintLine(line string) (fp string, ok bool, err error) {
	fields := strings.Fields(line)
	word := fields[0]
	if len(fields) >= 2 && strings.Trim(fields[0], "0123456789") == "" {
		word = fields[1] // ssh-keygen -lf: bits, fingerprint, comment, (TYPE)
	}
	lower := strings.ToLower(word)
	switch {
	case strings.HasPrefix(lower, "md5:") || md5Fingerprint.MatchString(word):
		return "", false, errors.New("MD5 fingerprints are not supported (MD5 is too weak to pin a " +
			"host key); give the SHA256 fingerprint (`ssh-keygen -lf KEY.pub -E sha256`) or the public key")
	case strings.HasPrefix(lower, "sha256:") && !strings.HasPrefix(word, "SHA256:"):
		return "", false, fmt.Errorf("%q: write the prefix as SHA256: in capitals, as ssh-keygen prints it "+
			"(the base64 part is case-sensitive, so the fingerprint is not lower-cased)", word)
	case !strings.HasPrefix(word, "SHA256:"):
		return "", false, nil
	}
	b64 := strings.TrimPrefix(word, "SHA256:")
	if raw, derr := base64.RawStdEncoding.DecodeString(b64); derr != nil || len(raw) != sha256.Size {
		return "", false, fmt.Errorf("%q is not a SHA256 fingerprint (want SHA256: followed by 43 "+
			"characters of unpadded base64, as ssh-keygen -lf prints)", word)
	}
	return word, true, nil
}

// FingerprintsOnly reports whether the pin names keys only by fingerprint,
// so that their type (and the host key algorithm to ask for) is unknown.
func (p *HostKeyPin) FingerprintsOnly() bool {
	return len(p.keys) == 0 && len(p.fingerprints) > 0
}

// Matches reports whether key is one of the pinned keys.
func (p *HostKeyPin) Matches(key ssh.PublicKey) bool {
	for _, k := range p.keys {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return true
		}
	}
	fp := ssh.FingerprintSHA256(key)
	for _, f := range p.fingerprints {
		if f == fp {
			return true
		}
	}
	return false
}

// Algorithms lists the host key algorithms to ask the server for, so that a
// server with several host keys presents a pinned one. Nil when the pin has
// fingerprints, whose key type is unknown.
func (p *HostKeyPin) Algorithms() []string {
	if len(p.fingerprints) > 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			algos = append(algos, a)
		}
	}
	for _, k := range p.keys {
		if k.Type() == ssh.KeyAlgoRSA {
			add(ssh.KeyAlgoRSASHA512)
			add(ssh.KeyAlgoRSASHA256)
		}
		add(k.Type())
	}
	return algos
}

// String describes the pinned keys by type and fingerprint, never by the full
// key, for error messages.
func (p *HostKeyPin) String() string {
	var parts []string
	for _, k := range p.keys {
		parts = append(parts, k.Type()+" "+ssh.FingerprintSHA256(k))
	}
	parts = append(parts, p.fingerprints...)
	return strings.Join(parts, ", ")
}

// HostKeyMismatchError says that the node presented a key other than the
// pinned one. It is never retried.
type HostKeyMismatchError struct {
	Address  string
	Expected string // the pinned keys, by type and fingerprint
	Seen     string // the presented key, type and fingerprint
	SeenLine string // the presented key as a known_hosts line; "" when it had none of the pinned type
}

func (e *HostKeyMismatchError) Error() string {
	if e.SeenLine == "" {
		return fmt.Sprintf("host key of %s changed: expected %s, the node presented %s. "+
			"If the node was rebuilt on purpose, set host_key to its new key (from its console or "+
			"provisioning output); otherwise treat this as a possible man-in-the-middle and do not connect",
			e.Address, e.Expected, e.Seen)
	}
	return fmt.Sprintf("host key of %s changed: expected %s, the node presented %s. "+
		"If the node was rebuilt on purpose, set host_key to the new key (%s); "+
		"otherwise treat this as a possible man-in-the-middle and do not connect",
		e.Address, e.Expected, e.Seen, e.SeenLine)
}

// KnownHostsLine renders key as a known_hosts line for the address
// ("host:port"), the form a pin is recorded in.
func KnownHostsLine(address string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(address)}, key)
}

// HostKeyPolicy says how a connection checks the node's host key: against a
// pin, or (only when TrustOnFirstUse is set and there is no pin) by accepting
// the first key and recording it. There is no way to switch checking off.
type HostKeyPolicy struct {
	Pin             *HostKeyPin
	TrustOnFirstUse bool
}

// hostKeyChecker builds the callback and records the key it saw.
type hostKeyChecker struct {
	policy HostKeyPolicy
	seen   ssh.PublicKey
}

func (h *hostKeyChecker) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	h.seen = key
	if h.policy.Pin != nil {
		if h.policy.Pin.Matches(key) {
			return nil
		}
		addr := hostname
		if remote != nil {
			addr = remote.String()
		}
		return &HostKeyMismatchError{
			Address:  addr,
			Expected: h.policy.Pin.String(),
			Seen:     key.Type() + " " + ssh.FingerprintSHA256(key),
			SeenLine: KnownHostsLine(hostname, key),
		}
	}
	if h.policy.TrustOnFirstUse {
		return nil
	}
	return errors.New("no host key to check against: set host_key, or trust_on_first_use to record the first key")
}
