package harden

import (
	"fmt"
	"path"
	"regexp"
	"strings"

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

// snippetDoc is the part of a Butane document the weakening checks read.
type snippetDoc struct {
	Passwd struct {
		Users []struct {
			Name         string `yaml:"name"`
			PasswordHash string `yaml:"password_hash"`
		} `yaml:"users"`
	} `yaml:"passwd"`
	Storage struct {
		Files []struct {
			Path     string `yaml:"path"`
			Contents struct {
				Inline string `yaml:"inline"`
			} `yaml:"contents"`
			Append []struct {
				Inline string `yaml:"inline"`
			} `yaml:"append"`
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

// managedSettings names the hardening setting each managed path carries.
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

var (
	sshWeakRE     = regexp.MustCompile(`(?im)^\s*(PasswordAuthentication|KbdInteractiveAuthentication|PermitEmptyPasswords)\s+yes\b|^\s*PermitRootLogin\s+(yes|without-password|prohibit-password|forced-commands-only)\b`)
	selinuxWeakRE = regexp.MustCompile(`(?m)^\s*SELINUX\s*=\s*(permissive|disabled)\b`)
	sysctlLineRE  = regexp.MustCompile(`(?m)^\s*-?\s*([A-Za-z0-9_./-]+)\s*=\s*(.*?)\s*$`)
	containersRE  = regexp.MustCompile(`(?m)^\s*(seccomp_profile|default_capabilities|privileged|no_new_privileges)\s*=`)
)

// CheckSnippet reads a user's Butane snippet and reports every hardening
// setting it weakens. Malformed YAML is left to the translator, which
// reports it with line and column.
func CheckSnippet(index int, src []byte) ([]SnippetWarning, error) {
	var doc snippetDoc
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil //nolint:nilerr // the translator reports the syntax error with its position
	}
	var out []SnippetWarning
	warn := func(setting, format string, args ...any) {
		out = append(out, SnippetWarning{Snippet: index, Setting: setting, Detail: fmt.Sprintf(format, args...)})
	}

	for _, u := range doc.Passwd.Users {
		if u.PasswordHash != "" {
			warn("admin access", "user %q gets a password hash; console and sudo password logins become possible", u.Name)
		}
	}
	for _, f := range doc.Storage.Files {
		text := f.Contents.Inline
		for _, a := range f.Append {
			text += "\n" + a.Inline
		}
		if setting, ok := managedSettings[f.Path]; ok {
			warn(setting, "it replaces or appends to %s, which hardnode writes; verification checks hardnode's content", f.Path)
		}
		checkSnippetFile(f.Path, text, warn)
	}
	for _, l := range doc.Storage.Links {
		if l.Path == SELinuxConfigPath {
			warn("selinux.mode", "a link at %s restores the OS default (permissive on Flatcar)", l.Path)
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
	return out, nil
}

func checkSnippetFile(p, text string, warn func(setting, format string, args ...any)) {
	dir, base := path.Split(p)
	switch {
	case p == "/etc/ssh/sshd_config":
		warn("sshd hardening", "it replaces the main sshd config (on MicroOS this hides the vendor config, UsePAM included)")
	case dir == "/etc/ssh/sshd_config.d/" && base < path.Base(SSHDropInPath):
		warn("sshd hardening", "%s sorts before %s; sshd keeps its values first", p, SSHDropInPath)
	}
	if strings.HasPrefix(p, "/etc/ssh/") && sshWeakRE.MatchString(text) {
		warn("sshd hardening", "%s allows password or root logins", p)
	}
	if p == SELinuxConfigPath && selinuxWeakRE.MatchString(text) {
		warn("selinux.mode", "%s sets SELinux permissive or disabled", p)
	}
	if dir == "/etc/sysctl.d/" || p == "/etc/sysctl.conf" {
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
		if strings.Contains(text, "insecureAcceptAnything") {
			warn("podman.trust (image signature policy)", "%s accepts unsigned images", p)
		}
		if strings.Contains(p, "containers.conf") && p != ContainersConfPath && containersRE.MatchString(text) {
			warn("podman defaults (seccomp, capabilities)", "%s sets container security defaults", p)
		}
	}
}
