package harden

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

var (
	userNameRE    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	hostLabelRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	unitNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$`)
	capabilityRE  = regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	windowStartRE = regexp.MustCompile(`^((Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01][0-9]|2[0-3]):[0-5][0-9]$`)
	groupRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	sysctlKeyRE   = regexp.MustCompile(`^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$`)
	scopeRE       = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._/-]*)?$`)
	envKeyRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// knownCapabilities are the Linux capabilities a container set may name.
var knownCapabilities = map[string]bool{
	"AUDIT_CONTROL": true, "AUDIT_READ": true, "AUDIT_WRITE": true, "BLOCK_SUSPEND": true, "BPF": true,
	"CHECKPOINT_RESTORE": true, "CHOWN": true, "DAC_OVERRIDE": true, "DAC_READ_SEARCH": true, "FOWNER": true,
	"FSETID": true, "IPC_LOCK": true, "IPC_OWNER": true, "KILL": true, "LEASE": true, "LINUX_IMMUTABLE": true,
	"MAC_ADMIN": true, "MAC_OVERRIDE": true, "MKNOD": true, "NET_ADMIN": true, "NET_BIND_SERVICE": true,
	"NET_BROADCAST": true, "NET_RAW": true, "PERFMON": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true,
	"SETUID": true, "SYSLOG": true, "SYS_ADMIN": true, "SYS_BOOT": true, "SYS_CHROOT": true, "SYS_MODULE": true,
	"SYS_NICE": true, "SYS_PACCT": true, "SYS_PTRACE": true, "SYS_RAWIO": true, "SYS_RESOURCE": true,
	"SYS_TIME": true, "SYS_TTY_CONFIG": true, "WAKE_ALARM": true,
}

// Validate reports every invalid value of n as ValidationErrors.
func (n *Node) Validate() error {
	var c collector
	n.validateBasics(&c)
	n.validateAccess(&c)
	n.validateContainers(&c)
	n.validateUpdate(&c)
	n.validateSysctls(&c)
	return c.err()
}

func (n *Node) validateBasics(c *collector) {
	if n.OS != Flatcar && n.OS != MicroOS {
		c.add(Path{"os_family"}, "Unknown OS family", "%q is not one of flatcar, microos.", n.OS)
	}
	if n.Level != "" && n.Level != Baseline && n.Level != Restricted {
		c.add(Path{"level"}, "Unknown hardening level", "%q is not one of baseline, restricted.", n.Level)
	}
	if h := n.Hostname; h != "" {
		ok := len(h) <= 253
		for _, label := range strings.Split(h, ".") {
			ok = ok && hostLabelRE.MatchString(label)
		}
		if !ok {
			c.add(Path{"hostname"}, "Invalid hostname",
				"%q is not a lowercase RFC 1123 host name (labels of a-z, 0-9 and inner '-').", h)
		}
	}
	switch n.selinuxMode() {
	case SELinuxEnforcing:
	case SELinuxPermissive:
		if n.level() == Restricted {
			c.add(Path{"selinux", "mode"}, "SELinux must enforce at level restricted",
				"mode permissive only logs denials; keep enforcing, or use level baseline to debug.")
		}
	case SELinuxDisabled:
		if n.level() == Restricted {
			c.add(Path{"selinux", "mode"}, "SELinux must enforce at level restricted",
				"mode disabled removes the MAC layer; keep enforcing, or use level baseline.")
			break
		}
		if !n.SELinux.AllowDisabled {
			c.add(Path{"selinux", "mode"}, "SELinux disabled without override",
				"disabling SELinux removes the MAC layer between containers and the host; "+
					"use permissive to debug, or set selinux.allow_disabled = true to really disable it.")
		}
	default:
		c.add(Path{"selinux", "mode"}, "Unknown SELinux mode",
			"%q is not one of enforcing, permissive, disabled.", n.SELinux.Mode)
	}
}

func (n *Node) validateAccess(c *collector) {
	name := n.AdminName()
	switch {
	case !userNameRE.MatchString(name) || name == "root":
		c.add(Path{"admin", "name"}, "Invalid admin user name",
			"%q must match %s and must not be root.", name, userNameRE)
	case reservedName(n.OS, name) && (n.OS != Flatcar || name != "core"):
		c.add(Path{"admin", "name"}, "Admin user name is a system account",
			"%q is an account the %s image already ships (%s, systemd-*); Ignition would turn it into "+
				"the login user. Choose another name (on Flatcar, leave it unset for core).",
			name, n.OS, strings.Join(ReservedNames(n.OS), " "))
	}
	if len(n.Admin.SSHAuthorizedKeys) == 0 {
		c.add(Path{"admin", "ssh_authorized_keys"}, "No SSH key for the admin user",
			"password logins are disabled; give at least one public key in authorized_keys format.")
	}
	for i, k := range n.Admin.SSHAuthorizedKeys {
		if err := checkAuthorizedKey(k); err != nil {
			c.add(Path{"admin", "ssh_authorized_keys", i}, "Invalid SSH public key", "%v.", err)
		}
	}
	if n.SSH.HostKey != "" {
		if _, err := hostPublicKey(n.SSH.HostKey); err != nil {
			c.add(Path{"ssh", "host_key"}, "Invalid SSH host key", "%v.", err)
		}
	}
}

func checkAuthorizedKey(line string) error {
	if strings.ContainsAny(strings.TrimSpace(line), "\n\r") {
		return errors.New("one key per list element: the value contains a line break")
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return fmt.Errorf("not in authorized_keys format (\"ssh-ed25519 AAAA... comment\"): %w", err)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return errors.New("one key per list element: found more after the first key")
	}
	if !acceptedUserKeyTypes[pub.Type()] {
		return fmt.Errorf("key type %s is not accepted by the hardened sshd (accepted: %s)",
			pub.Type(), strings.Join(sortedKeys(acceptedUserKeyTypes), ", "))
	}
	return nil
}

func (n *Node) validateContainers(c *collector) {
	names := map[string]int{}
	for i, u := range n.ContainerUsers {
		p := Path{"container_users", i, "name"}
		switch {
		case !userNameRE.MatchString(u.Name) || u.Name == "root":
			c.add(p, "Invalid user name", "%q must match %s and must not be root.", u.Name, userNameRE)
		case u.Name == n.AdminName():
			c.add(p, "Container user is the admin user",
				"%q is the admin user; container users are separate accounts without SSH access.", u.Name)
		case reservedName(n.OS, u.Name):
			c.add(p, "Container user name is a system account",
				"%q is an account the %s image already ships (%s, systemd-*); Ignition would change its "+
					"UID and shell. Choose another name.", u.Name, n.OS, strings.Join(ReservedNames(n.OS), " "))
		}
		if j, dup := names[u.Name]; dup {
			c.add(p, "Duplicate container user", "container_users[%d] and [%d] are both %q.", j, i, u.Name)
		}
		names[u.Name] = i
	}
	if _, err := AllocateSubIDs(n.ContainerUsers); err != nil {
		var ves ValidationErrors
		if errors.As(err, &ves) {
			c.errs = append(c.errs, ves...)
		}
	}

	pod := n.Podman
	if net := n.rootlessNetwork(); net != "pasta" && net != "slirp4netns" {
		c.add(Path{"podman", "rootless_network"}, "Unknown rootless network",
			"%q is not one of pasta, slirp4netns.", net)
	}
	for i, capName := range pod.DefaultCapabilities {
		checkCapability(c, Path{"podman", "default_capabilities", i}, capName)
		n.checkRestrictedCapability(c, Path{"podman", "default_capabilities", i}, capName)
	}
	scopes := map[string]int{}
	for i, t := range pod.Trust {
		p := Path{"podman", "trust", i}
		if !scopeRE.MatchString(t.Scope) || !strings.ContainsAny(strings.SplitN(t.Scope, "/", 2)[0], ".:") {
			c.add(p.with("scope"), "Invalid registry scope",
				"%q must be a registry host, optionally with a repository path, such as ghcr.io/acme "+
					"(no scheme, tag or digest).", t.Scope)
		}
		if j, dup := scopes[t.Scope]; dup {
			c.add(p.with("scope"), "Duplicate registry scope", "podman.trust[%d] already trusts %q.", j, t.Scope)
		}
		scopes[t.Scope] = i
		if t.Lookaside != "" {
			if err := checkLookaside(t.Lookaside); err != nil {
				c.add(p.with("lookaside"), "Invalid signature lookaside URL", "%v.", err)
			}
		}
		switch t.Type {
		case TrustSigstore:
			if err := checkSigstoreKey(t.Key); err != nil {
				c.add(p.with("key"), "Invalid sigstore key", "%v.", err)
			}
		case TrustGPG:
			if err := checkGPGKey(t.Key); err != nil {
				c.add(p.with("key"), "Invalid GPG key", "%v.", err)
			}
		default:
			c.add(p.with("type"), "Unknown signature type", "%q is not one of sigstore, gpg.", t.Type)
		}
	}
	n.validateQuadlets(c, names)
}

func checkCapability(c *collector, p Path, name string) {
	if !capabilityRE.MatchString(name) || !knownCapabilities[name] {
		c.add(p, "Unknown capability", "%q is not a Linux capability name without the CAP_ prefix, such as CHOWN.", name)
	}
}

// checkRestrictedCapability refuses, at level restricted, capabilities
// outside the restricted default set (RestrictedCapabilities).
func (n *Node) checkRestrictedCapability(c *collector, p Path, name string) {
	if n.level() != Restricted || !knownCapabilities[name] {
		return
	}
	for _, ok := range restrictedCapabilities {
		if ok == name {
			return
		}
	}
	c.add(p, "Capability not allowed at level restricted",
		"%s is not one of %s; use level baseline for containers that need it.",
		name, strings.Join(restrictedCapabilities, " "))
}

func (n *Node) validateQuadlets(c *collector, users map[string]int) {
	seen := map[string]int{}
	for i, q := range n.Podman.Quadlets {
		p := Path{"podman", "quadlets", i}
		if !unitNameRE.MatchString(q.Name) {
			c.add(p.with("name"), "Invalid unit name", "%q must match %s.", q.Name, unitNameRE)
		}
		if _, ok := users[q.User]; !ok {
			c.add(p.with("user"), "Unknown container user",
				"%q is not in container_users; Quadlet units run as a rootless container user.", q.User)
		}
		key := q.User + "/" + q.Name
		if j, dup := seen[key]; dup {
			c.add(p.with("name"), "Duplicate Quadlet unit", "podman.quadlets[%d] is already %s for %s.", j, q.Name, q.User)
		}
		seen[key] = i
		n.validateImage(c, p.with("image"), q.Image)
		switch q.UserNS {
		case "", "auto", "keep-id", "nomap":
		default:
			c.add(p.with("userns"), "Unsupported user namespace mode", "%q is not one of auto, keep-id, nomap.", q.UserNS)
		}
		if q.NoNewPrivileges != nil && !*q.NoNewPrivileges && n.level() == Restricted {
			c.add(p.with("no_new_privileges"), "Privilege escalation not allowed at level restricted",
				"set no_new_privileges = true, or use level baseline.")
		}
		for j, capName := range q.AddCapabilities {
			checkCapability(c, p.with("add_capabilities", j), capName)
			n.checkRestrictedCapability(c, p.with("add_capabilities", j), capName)
		}
		for j, port := range q.PublishPorts {
			if _, err := ParsePublishPort(port); err != nil {
				c.add(p.with("publish_ports", j), "Invalid port mapping", "%v.", err)
			}
		}
		for k, v := range q.Environment {
			if !envKeyRE.MatchString(k) || strings.ContainsAny(v, "\n\r") {
				c.add(p.with("environment", MapKey(k)), "Invalid environment variable",
					"names match %s and values are one line.", envKeyRE)
			}
		}
		if strings.ContainsAny(q.Exec, "\n\r") {
			c.add(p.with("exec"), "Invalid command line", "exec must be one line.")
		}
	}
}

// validateImage checks that an image is fully qualified and that a trust rule
// covers it: the policy rejects everything else, so the unit could never pull.
func (n *Node) validateImage(c *collector, p Path, image string) {
	host := strings.SplitN(image, "/", 2)[0]
	if image == "" || !strings.Contains(image, "/") || !strings.ContainsAny(host, ".:") ||
		strings.ContainsAny(image, " \t\n") {
		c.add(p, "Image not fully qualified",
			"%q must name its registry, such as ghcr.io/acme/web:1.2; short names are refused on the node.", image)
		return
	}
	for _, t := range n.Podman.Trust {
		if scopeCovers(t.Scope, image) {
			return
		}
	}
	c.add(p, "Image not covered by a trust rule",
		"policy.json rejects %q: add a podman.trust entry whose scope covers it.", image)
}

// scopeCovers reports whether a policy.json docker scope applies to image.
func scopeCovers(scope, image string) bool {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo == scope || strings.HasPrefix(repo, scope+"/")
}

func (n *Node) validateUpdate(c *collector) {
	u := n.Update
	switch n.updateStrategy() {
	case UpdateReboot, UpdateExternal:
	case UpdateOff:
		if n.level() == Restricted {
			c.add(Path{"update", "strategy"}, "Automatic updates required at level restricted",
				"strategy off leaves security fixes staged but never booted; use reboot (with a window) "+
					"or external (a cluster reboot manager), or level baseline.")
		}
	default:
		c.add(Path{"update", "strategy"}, "Unknown update strategy",
			"%q is not one of reboot, external, off.", u.Strategy)
	}
	if (u.WindowStart == "") != (u.WindowLength == "") {
		missing := "window_length"
		if u.WindowStart == "" {
			missing = "window_start"
		}
		c.add(Path{"update", missing}, "Incomplete reboot window",
			"window_start and window_length go together: set both or neither.")
	}
	if u.WindowStart != "" && !windowStartRE.MatchString(u.WindowStart) {
		c.add(Path{"update", "window_start"}, "Invalid reboot window start",
			"%q is not \"HH:MM\" or \"Day HH:MM\" with Day one of Mon Tue Wed Thu Fri Sat Sun.", u.WindowStart)
	}
	if u.WindowLength != "" {
		if _, err := windowLength(u.WindowLength); err != nil {
			c.add(Path{"update", "window_length"}, "Invalid reboot window length", "%v.", err)
		}
	}
	if u.WindowStart != "" && n.updateStrategy() != UpdateReboot {
		c.add(Path{"update", "window_start"}, "Reboot window without reboots",
			"strategy %q never reboots the node itself; drop the window or use strategy reboot.", n.updateStrategy())
	}
	if u.Group != "" {
		if n.OS != Flatcar {
			c.add(Path{"update", "group"}, "Update group on MicroOS",
				"update groups are a Flatcar feature; MicroOS follows its repositories. Remove group.")
		} else if !groupRE.MatchString(u.Group) {
			c.add(Path{"update", "group"}, "Invalid update group", "%q must match %s.", u.Group, groupRE)
		}
	}
}

// windowLength parses a reboot window length: a positive Go duration in
// whole minutes, at most a week.
func windowLength(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration such as 1h30m", s)
	case d <= 0 || d > 7*24*time.Hour:
		return 0, fmt.Errorf("%q must be longer than zero and at most 168h", s)
	case d%time.Minute != 0:
		return 0, fmt.Errorf("%q must be whole minutes", s)
	}
	return d, nil
}

// formatWindowLength writes d as hours and minutes ("1h30m", "45m", "2h"),
// which both locksmithd (Go durations) and rebootmgr (systemd time spans) read.
func formatWindowLength(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

func (n *Node) validateSysctls(c *collector) {
	for _, k := range sortedKeys(n.Sysctls) {
		v := n.Sysctls[k]
		p := Path{"sysctls", MapKey(k)}
		switch {
		case !sysctlKeyRE.MatchString(k):
			c.add(p, "Invalid sysctl key", "%q is not a dotted sysctl name such as kernel.kptr_restrict.", k)
		case strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\n\r"):
			c.add(p, "Invalid sysctl value", "the value of %s must be one non-empty line.", k)
		default:
			if why := sysctlBreaksRootless(k, v); why != "" {
				c.add(p, "Sysctl breaks rootless containers", "%s.", why)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkLookaside checks a registries.d lookaside URL: http, https or file,
// with a host (or a path for file), no query, no spaces.
func checkLookaside(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsAny(s, " \t\r\n\""):
		return fmt.Errorf("%q is not a URL such as https://sigs.example.com/signatures", s)
	case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file":
		return fmt.Errorf("%q must be an https://, http:// or file:// URL", s)
	case u.Scheme != "file" && u.Host == "", u.Scheme == "file" && u.Path == "":
		return fmt.Errorf("%q names no host or path", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not carry a query or fragment; containers/image appends the signature path", s)
	}
	return nil
}
