package harden

import (
	"fmt"
	"strings"
)

// Paths of the host files hardnode writes.
const (
	SELinuxConfigPath   = "/etc/selinux/config"
	SysctlPath          = "/etc/sysctl.d/zz-hardnode.conf" // sorts after every numbered vendor file: the last assignment wins
	SudoersPath         = "/etc/sudoers.d/hardnode-admin"
	FlatcarUpdatePath   = "/etc/flatcar/update.conf"
	FlatcarSysextPath   = "/etc/flatcar/enabled-sysext.conf"
	TransactionalPath   = "/etc/transactional-update.conf"
	RebootmgrConfigPath = "/etc/rebootmgr/rebootmgr.conf"
	LingerDir           = "/var/lib/systemd/linger"
	LingerUnit          = "hardnode-linger.service"
	RelabelUnit         = "hardnode-relabel.service"
)

// baselineSysctls restrict what unprivileged code learns about and does to
// the kernel. None touches user namespaces: rootless containers need them.
var baselineSysctls = map[string]string{
	"kernel.kptr_restrict":                      "2",
	"kernel.dmesg_restrict":                     "1",
	"kernel.perf_event_paranoid":                "3",
	"kernel.yama.ptrace_scope":                  "1",
	"kernel.unprivileged_bpf_disabled":          "1",
	"net.core.bpf_jit_harden":                   "2",
	"fs.protected_hardlinks":                    "1",
	"fs.protected_symlinks":                     "1",
	"fs.protected_fifos":                        "2",
	"fs.protected_regular":                      "2",
	"fs.suid_dumpable":                          "0",
	"dev.tty.ldisc_autoload":                    "0",
	"net.ipv4.conf.all.accept_redirects":        "0",
	"net.ipv4.conf.default.accept_redirects":    "0",
	"net.ipv6.conf.all.accept_redirects":        "0",
	"net.ipv6.conf.default.accept_redirects":    "0",
	"net.ipv4.conf.all.send_redirects":          "0",
	"net.ipv4.conf.all.accept_source_route":     "0",
	"net.ipv4.conf.default.accept_source_route": "0",
	"net.ipv4.tcp_syncookies":                   "1",
}

// restrictedSysctls are added at level restricted: ptrace only for
// CAP_SYS_PTRACE, no kexec, no magic SysRq keys.
var restrictedSysctls = map[string]string{
	"kernel.yama.ptrace_scope":   "2",
	"kernel.kexec_load_disabled": "1",
	"kernel.sysrq":               "0",
}

// EffectiveSysctls returns the sysctls the node gets: the level's set with
// the user's values on top.
func (n *Node) EffectiveSysctls() map[string]string {
	out := map[string]string{}
	for k, v := range baselineSysctls {
		out[k] = v
	}
	if n.level() == Restricted {
		for k, v := range restrictedSysctls {
			out[k] = v
		}
	}
	for k, v := range n.Sysctls {
		out[k] = canonicalSysctlValue(v)
	}
	return out
}

func (n *Node) sysctlConf() string {
	s := n.EffectiveSysctls()
	var b strings.Builder
	b.WriteString("# Managed by hardnode: kernel hardening. User namespaces stay enabled for rootless Podman.\n")
	for _, k := range sortedKeys(s) {
		fmt.Fprintf(&b, "%s = %s\n", k, s[k])
	}
	return b.String()
}

// selinuxType is the policy name of the OS: Flatcar ships "mcs", MicroOS
// "targeted".
func (n *Node) selinuxType() string {
	if n.OS == MicroOS {
		return "targeted"
	}
	return "mcs"
}

// selinuxConfig is a real /etc/selinux/config. On Flatcar it replaces the
// symlink into /usr, whose content says permissive.
func (n *Node) selinuxConfig() string {
	return "# Managed by hardnode.\nSELINUX=" + n.selinuxMode() + "\nSELINUXTYPE=" + n.selinuxType() + "\n"
}

func (n *Node) window() (start, length string) {
	if n.Update.WindowStart == "" {
		return "", ""
	}
	d, _ := windowLength(n.Update.WindowLength) // validated before
	return n.Update.WindowStart, formatWindowLength(d)
}

// flatcarUpdateConf maps the update policy to update_engine and locksmithd.
// Only strategy reboot lets locksmithd reboot; the other strategies set
// REBOOT_STRATEGY=off and mask locksmithd (see flatcarUnits).
func (n *Node) flatcarUpdateConf() string {
	lines := []string{"# Managed by hardnode: update policy " + n.updateStrategy() + "."}
	if n.Update.Group != "" {
		lines = append(lines, "GROUP="+n.Update.Group)
	}
	if n.updateStrategy() == UpdateReboot {
		lines = append(lines, "REBOOT_STRATEGY=reboot")
		if start, length := n.window(); start != "" {
			lines = append(lines, "LOCKSMITHD_REBOOT_WINDOW_START="+start,
				"LOCKSMITHD_REBOOT_WINDOW_LENGTH="+length)
		}
	} else {
		lines = append(lines, "REBOOT_STRATEGY=off")
	}
	return strings.Join(lines, "\n") + "\n"
}

// microOSRebootMethod maps the strategy to transactional-update's
// REBOOT_METHOD, so that exactly one reboot manager acts.
func (n *Node) microOSRebootMethod() string {
	switch n.updateStrategy() {
	case UpdateReboot:
		return "rebootmgr"
	case UpdateExternal:
		return "kured"
	}
	return "none"
}

func (n *Node) transactionalUpdateConf() string {
	return "# Managed by hardnode: update policy " + n.updateStrategy() + ".\n" +
		"REBOOT_METHOD=" + n.microOSRebootMethod() + "\n"
}

func (n *Node) rebootmgrConf() string {
	lines := []string{"# Managed by hardnode.", "[rebootmgr]"}
	if start, length := n.window(); start != "" {
		lines = append(lines, "strategy=maint-window", "window-start="+start, "window-duration="+length)
	} else {
		lines = append(lines, "strategy=instantly")
	}
	return strings.Join(lines, "\n") + "\n"
}

// relabelUnitContents labels, once on the first boot and before sshd or any
// login, the files Ignition wrote on Flatcar (whose Ignition does not
// relabel), so that enforcing SELinux lets sshd, sudo and Podman read them.
// restorecon -i skips paths that do not exist.
const relabelUnitContents = `# Managed by hardnode.
[Unit]
Description=Label the files Ignition wrote (hardnode)
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target sshd.socket sshd.service systemd-user-sessions.service
ConditionFirstBoot=yes
ConditionPathExists=/usr/sbin/restorecon

[Service]
Type=oneshot
ExecStart=/usr/sbin/restorecon -R -F -i /etc /home /var/lib/systemd/linger

[Install]
WantedBy=sysinit.target
`

// lingerUnitContents asks logind to let users linger, at every boot before
// logins. On MicroOS the initrd cannot write the flags under /var; asking
// logind (rather than a tmpfiles line) lets logind create its own directory,
// which SELinux policies allow only logind to do. Enabling is idempotent.
func lingerUnitContents(users []string) string {
	return `# Managed by hardnode.
[Unit]
Description=Let container users' services run without a login (hardnode)
After=systemd-logind.service
Wants=systemd-logind.service
Before=sshd.service ssh.service systemd-user-sessions.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/loginctl enable-linger ` + strings.Join(users, " ") + `

[Install]
WantedBy=multi-user.target
`
}
