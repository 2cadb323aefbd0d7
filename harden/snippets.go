package harden

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/vincent-petithory/dataurl"
	"gopkg.in/yaml.v3"
)

// SnippetWarning says that a user snippet weakens a hardening setting.
type SnippetWarning struct {
	Snippet int    // index into the snippets
	Setting string // the hardening setting, e.g. "selinux.mode"
	Detail  string
}

func (w SnippetWarning) String() string {
	return fmt.Sprintf("snippet %d weakens %s: %s", w.Snippet, w.Setting, w.Detail)
}

// snippetContents is a Butane file content in any form the checks can read.
type snippetContents struct {
	Inline      *string `yaml:"inline"`
	Source      string  `yaml:"source"`
	Local       string  `yaml:"local"`
	Compression string  `yaml:"compression"`
}

// snippetUser is a passwd.users entry; the pointer fields are the account's
// identity, which a snippet must not change for a user hardnode manages.
type snippetUser struct {
	Name         string    `yaml:"name"`
	PasswordHash string    `yaml:"password_hash"`
	UID          *int64    `yaml:"uid"`
	PrimaryGroup *string   `yaml:"primary_group"`
	Groups       *[]string `yaml:"groups"`
	HomeDir      *string   `yaml:"home_dir"`
	Shell        *string   `yaml:"shell"`
	System       *bool     `yaml:"system"`
	NoCreateHome *bool     `yaml:"no_create_home"`
	NoUserGroup  *bool     `yaml:"no_user_group"`
}

// snippetDoc is the part of a Butane document the weakening checks read.
type snippetDoc struct {
	Passwd struct {
		Users []snippetUser `yaml:"users"`
	} `yaml:"passwd"`
	Storage struct {
		Files []struct {
			Path     string            `yaml:"path"`
			Contents *snippetContents  `yaml:"contents"`
			Append   []snippetContents `yaml:"append"`
		} `yaml:"files"`
		Links []struct {
			Path string `yaml:"path"`
		} `yaml:"links"`
	} `yaml:"storage"`
	Systemd struct {
		Units []struct {
			Name    string `yaml:"name"`
			Enabled *bool  `yaml:"enabled"`
			Mask    *bool  `yaml:"mask"`
		} `yaml:"units"`
	} `yaml:"systemd"`
	KernelArguments struct {
		ShouldExist []string `yaml:"should_exist"`
	} `yaml:"kernel_arguments"`
}

// managedSettings names the hardening setting each path hardnode always
// writes carries. Render adds the node's own paths (hostname, trust keys,
// subordinate IDs, Quadlet units, linger flags) from its plan.
var managedSettings = map[string]string{
	SSHDropInPath:       "sshd hardening",
	SudoersPath:         "admin sudo rule",
	SSHHostKeyPath:      "ssh.host_key",
	SELinuxConfigPath:   "selinux.mode",
	SysctlPath:          "sysctls",
	ContainersConfPath:  "podman defaults (seccomp, capabilities)",
	SeccompProfilePath:  "podman seccomp profile",
	PolicyPath:          "podman.trust (image signature policy)",
	RegistriesConfPath:  "registries short-name enforcing",
	FlatcarUpdatePath:   "update policy",
	TransactionalPath:   "update policy",
	RebootmgrConfigPath: "update policy",
}

// snippetChecker holds what a node manages: paths with their setting and
// users with their role.
type snippetChecker struct {
	paths map[string]string
	users map[string]string // name -> "admin user" or "container user"
	admin string
}

// CheckSnippet reads a user's Butane snippet and reports every hardening
// setting it weakens, against the paths every hardened node has. Malformed
// YAML is left to the translator, which reports it with line and column.
func CheckSnippet(index int, src []byte) ([]SnippetWarning, error) {
	return snippetChecker{paths: managedSettings}.check(index, src), nil
}

// snippetChecker returns the checker for the plan's node: every file it
// writes and every user it creates is managed.
func (p *plan) snippetChecker() snippetChecker {
	c := snippetChecker{paths: map[string]string{}, users: map[string]string{p.admin: "admin user"}, admin: p.admin}
	for k, v := range managedSettings {
		c.paths[k] = v
	}
	for _, f := range append(append([]managedFile(nil), p.files...), p.bootFiles...) {
		if _, ok := c.paths[f.path]; !ok {
			c.paths[f.path] = fileSetting(f)
		}
	}
	for _, a := range p.subids {
		c.users[a.User] = "container user"
	}
	return c
}

// fileSetting names the setting a node-specific file carries.
func fileSetting(f managedFile) string {
	switch {
	case f.id == "hostname":
		return "hostname"
	case strings.HasPrefix(f.id, "trust-key-"), f.id == "registries-d":
		return "podman.trust"
	case f.id == "subuid-lines", f.id == "subgid-lines":
		return "container_users subordinate IDs"
	case strings.HasPrefix(f.id, "quadlet-"):
		return "podman.quadlets"
	case strings.HasPrefix(f.id, "linger-"):
		return "container_users linger"
	case f.id == "podman-sysext":
		return "podman (system extension)"
	case strings.HasPrefix(f.id, "ssh-host-key"):
		return "ssh.host_key"
	}
	return "hardnode file " + f.id
}

func (c snippetChecker) check(index int, src []byte) []SnippetWarning {
	var doc snippetDoc
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil // the translator reports the syntax error with its position
	}
	var out []SnippetWarning
	warn := func(setting, format string, args ...any) {
		out = append(out, SnippetWarning{Snippet: index, Setting: setting, Detail: fmt.Sprintf(format, args...)})
	}

	for _, u := range doc.Passwd.Users {
		if u.PasswordHash != "" {
			warn("admin access", "user %q gets a password hash; console and sudo password logins become possible", u.Name)
		}
		if role, ok := c.users[u.Name]; ok {
			if fields := u.identityFields(); len(fields) > 0 {
				warn("managed user "+u.Name, "it changes %s of %s %q (%s), which hardnode creates and "+
					"verification checks", strings.Join(fields, ", "), role, u.Name, strings.Join(fields, ", "))
			}
		}
	}
	for _, f := range doc.Storage.Files {
		if setting, ok := c.paths[f.Path]; ok {
			verb := "appends to"
			if f.Contents != nil {
				verb = "replaces"
			}
			warn(setting, "it %s %s, which hardnode writes; verification checks hardnode's content", verb, f.Path)
		}
		var texts []string
		for _, ct := range append(optional(f.Contents), f.Append...) {
			text, ok := ct.decode()
			if !ok {
				if sensitivePath(f.Path) {
					warn("snippet content", "the content of %s comes from %q and cannot be inspected before "+
						"boot; write it inline or as a data URL so that weakenings are found", f.Path, ct.origin())
				}
				continue
			}
			texts = append(texts, text)
		}
		c.checkFile(f.Path, strings.Join(texts, "\n"), warn)
	}
	for _, l := range doc.Storage.Links {
		if l.Path == SELinuxConfigPath {
			warn("selinux.mode", "a link at %s restores the OS default (permissive on Flatcar)", l.Path)
		} else if setting, ok := c.paths[l.Path]; ok {
			warn(setting, "a link at %s replaces the file hardnode writes there", l.Path)
		}
	}
	for _, u := range doc.Systemd.Units {
		unmasked := (u.Mask != nil && !*u.Mask) || (u.Enabled != nil && *u.Enabled)
		switch {
		case (u.Name == "docker.socket" || u.Name == "docker.service") && unmasked:
			warn("podman (docker masked)", "%s is unmasked or enabled; Docker's root daemon is back", u.Name)
		case (u.Name == "locksmithd.service" || u.Name == "rebootmgr.service") && (u.Mask != nil || u.Enabled != nil):
			warn("update.strategy", "%s is changed; more or fewer than one reboot manager may run", u.Name)
		}
	}
	for _, arg := range doc.KernelArguments.ShouldExist {
		if arg == "selinux=0" || arg == "enforcing=0" {
			warn("selinux.mode", "kernel argument %s turns SELinux off or permissive", arg)
		}
	}
	return out
}

func optional(c *snippetContents) []snippetContents {
	if c == nil {
		return nil
	}
	return []snippetContents{*c}
}

func (u snippetUser) identityFields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(u.UID != nil, "uid")
	add(u.PrimaryGroup != nil, "primary_group")
	add(u.Groups != nil, "groups")
	add(u.HomeDir != nil, "home_dir")
	add(u.Shell != nil, "shell")
	add(u.System != nil, "system")
	add(u.NoCreateHome != nil, "no_create_home")
	add(u.NoUserGroup != nil, "no_user_group")
	return out
}

// maxInspected bounds decompressed snippet content.
const maxInspected = 16 << 20

// decode returns the file content as the node gets it: inline text or a
// data URL (percent-encoded or base64), gunzipped when compressed. ok is
// false for content read at translation or boot time (local, http, s3, ...).
func (c snippetContents) decode() (string, bool) {
	var raw []byte
	switch {
	case c.Inline != nil:
		raw = []byte(*c.Inline)
	case strings.HasPrefix(c.Source, "data:"):
		u, err := dataurl.DecodeString(c.Source)
		if err != nil {
			return "", false
		}
		raw = u.Data
	case c.Source == "" && c.Local == "":
		return "", true
	default:
		return "", false
	}
	if c.Compression == "gzip" || bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return string(raw), true
		}
		data, err := io.ReadAll(io.LimitReader(zr, maxInspected))
		if err != nil {
			return "", false
		}
		raw = data
	}
	return string(raw), true
}

func (c snippetContents) origin() string {
	if c.Local != "" {
		return "local: " + c.Local
	}
	if i := strings.IndexAny(c.Source, "?#"); i >= 0 {
		return c.Source[:i]
	}
	return c.Source
}

// sensitivePath reports whether a file's content is inspected for
// weakenings, so that content the checks cannot read deserves a warning.
func sensitivePath(p string) bool {
	for _, prefix := range []string{"/etc/ssh/", "/etc/sudoers", "/etc/selinux/", "/etc/sysctl", "/etc/containers/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

var (
	selinuxWeakRE = regexp.MustCompile(`(?m)^\s*SELINUX\s*=\s*(permissive|disabled)\b`)
	sysctlLineRE  = regexp.MustCompile(`(?m)^[ \t]*-?[ \t]*([A-Za-z0-9_./-]+)[ \t]*=[ \t]*(.*?)[ \t]*$`)
	containersRE  = regexp.MustCompile(`(?m)^\s*(seccomp_profile|default_capabilities|privileged|no_new_privileges)\s*=`)
	shortNameRE   = regexp.MustCompile(`(?m)^\s*short-name-mode\s*=\s*["']?([A-Za-z]*)`)
	searchRegRE   = regexp.MustCompile(`(?m)^\s*unqualified-search-registries\s*=\s*\[\s*["']`)
	insecureRegRE = regexp.MustCompile(`(?m)^\s*insecure\s*=\s*true\b`)
	sudoNoPassRE  = regexp.MustCompile(`(?m)^[^#\n]*(NOPASSWD\s*:|!authenticate\b)`)
	sudoAllRE     = regexp.MustCompile(`(?m)^\s*(ALL|%\S+)\s+\S+\s*=`)
)

func (c snippetChecker) checkFile(p, text string, warn func(setting, format string, args ...any)) {
	dir, base := path.Split(p)
	switch {
	case p == "/etc/ssh/sshd_config":
		warn("sshd hardening", "it replaces the main sshd config (on MicroOS this hides the vendor config, UsePAM included)")
	case dir == "/etc/ssh/sshd_config.d/" && base < path.Base(SSHDropInPath):
		warn("sshd hardening", "%s sorts before %s; sshd keeps its values first", p, SSHDropInPath)
	}
	if strings.HasPrefix(p, "/etc/ssh/sshd_config") {
		for _, w := range c.sshdWeakenings(text) {
			warn("sshd hardening", "%s %s", p, w)
		}
	}
	if p == SELinuxConfigPath && selinuxWeakRE.MatchString(text) {
		warn("selinux.mode", "%s sets SELinux permissive or disabled", p)
	}
	if dir == "/etc/sysctl.d/" || p == "/etc/sysctl.conf" || dir == "/usr/lib/sysctl.d/" {
		for _, m := range sysctlLineRE.FindAllStringSubmatch(text, -1) {
			key := strings.ReplaceAll(m[1], "/", ".")
			if want, ok := baselineSysctls[key]; ok && canonicalSysctlValue(m[2]) != want {
				warn("sysctls", "%s sets %s = %s (hardened: %s)", p, key, m[2], want)
			}
			if why := sysctlBreaksRootless(key, m[2]); why != "" {
				warn("sysctls", "%s: %s", p, why)
			}
		}
	}
	if strings.HasPrefix(p, "/etc/containers/") {
		c.checkContainersFile(p, text, warn)
	}
	if p == "/etc/sudoers" || dir == "/etc/sudoers.d/" {
		if sudoNoPassRE.MatchString(text) {
			warn("admin sudo rule", "%s grants sudo without a password (NOPASSWD or !authenticate); only the "+
				"admin user %s has that, for verification", p, c.adminOr("user"))
		}
		if sudoAllRE.MatchString(text) {
			warn("admin sudo rule", "%s grants sudo to every user or to a whole group", p)
		}
	}
}

func (c snippetChecker) adminOr(fallback string) string {
	if c.admin == "" {
		return fallback
	}
	return c.admin
}

func (c snippetChecker) checkContainersFile(p, text string, warn func(setting, format string, args ...any)) {
	if strings.Contains(text, "insecureAcceptAnything") {
		warn("podman.trust (image signature policy)", "%s accepts unsigned images", p)
	}
	if strings.Contains(p, "containers.conf") && p != ContainersConfPath && containersRE.MatchString(text) {
		warn("podman defaults (seccomp, capabilities)", "%s sets container security defaults", p)
	}
	if p == RegistriesConfPath || strings.HasPrefix(p, "/etc/containers/registries.conf.d/") {
		if m := shortNameRE.FindStringSubmatch(text); m != nil && m[1] != "enforcing" {
			warn("registries short-name enforcing", "%s sets short-name-mode %q; short names could resolve "+
				"to an image from an unexpected registry", p, m[1])
		}
		if searchRegRE.MatchString(text) {
			warn("registries short-name enforcing", "%s adds unqualified search registries; short names "+
				"become pullable", p)
		}
		if insecureRegRE.MatchString(text) {
			warn("registries short-name enforcing", "%s marks a registry insecure (no TLS verification)", p)
		}
	}
}
