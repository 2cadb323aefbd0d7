package harden

import (
	"fmt"
	"strings"
)

// managedFile is one file the config writes and the expectations check.
type managedFile struct {
	id       string
	path     string
	mode     int
	contents string
	append   bool // appended to the file, which keeps its other lines
	private  bool // unreadable by the admin user: checked through sudo
}

// managedUnit is one systemd unit whose state the config sets.
type managedUnit struct {
	id       string
	name     string
	state    string // "masked" or "enabled"
	contents string // unit file written by the config; empty: the OS's unit
}

// plan is everything a node gets, built once from a validated Node; the
// Butane config and the expectations are both read from it.
type plan struct {
	node    *Node
	admin   string
	subids  []SubIDAssignment
	hostPub string
	files   []managedFile
	units   []managedUnit
	linger  map[string]bool
	// bootFiles appear only once the node boots (not written by Ignition).
	bootFiles []managedFile
}

func newPlan(n *Node) (*plan, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	subids, err := AllocateSubIDs(n.ContainerUsers)
	if err != nil {
		return nil, err
	}
	p := &plan{node: n, admin: n.AdminName(), subids: subids, linger: map[string]bool{}}
	if n.SSH.HostKey != "" {
		if p.hostPub, err = hostPublicKey(n.SSH.HostKey); err != nil {
			return nil, err
		}
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *plan) file(f managedFile) { p.files = append(p.files, f) }

func (p *plan) unit(id, name, state string) {
	p.units = append(p.units, managedUnit{id: id, name: name, state: state})
}

func (p *plan) build() error {
	n := p.node
	if n.Hostname != "" {
		p.file(managedFile{id: "hostname", path: "/etc/hostname", mode: 0o644, contents: n.Hostname + "\n"})
	}

	// Access: sshd, sudo, host key.
	p.file(managedFile{id: "sshd-dropin", path: SSHDropInPath, mode: 0o644, contents: n.sshdDropIn()})
	p.file(managedFile{id: "sudoers-admin", path: SudoersPath, mode: 0o440, contents: n.sudoersDropIn(),
		private: true})
	if n.SSH.HostKey != "" {
		key := normalizeKeyText(n.SSH.HostKey)
		p.file(managedFile{id: "ssh-host-key", path: SSHHostKeyPath, mode: 0o600, contents: key, private: true})
		p.file(managedFile{id: "ssh-host-key-pub", path: SSHHostKeyPath + ".pub", mode: 0o644,
			contents: p.hostPub + "\n"})
	}

	// Kernel and MAC.
	p.file(managedFile{id: "selinux-config", path: SELinuxConfigPath, mode: 0o644, contents: n.selinuxConfig()})
	if n.OS == Flatcar && n.selinuxMode() != SELinuxDisabled {
		// Flatcar's Ignition does not label what it writes.
		p.units = append(p.units, managedUnit{id: "relabel", name: RelabelUnit, state: "enabled",
			contents: relabelUnitContents})
	}
	p.file(managedFile{id: "sysctl-conf", path: SysctlPath, mode: 0o644, contents: n.sysctlConf()})

	// Rootless Podman.
	if n.OS == Flatcar {
		p.file(managedFile{id: "podman-sysext", path: FlatcarSysextPath, mode: 0o644, contents: "podman\n",
			append: true})
		p.unit("docker-socket", "docker.socket", "masked")
		p.unit("docker-service", "docker.service", "masked")
	}
	p.file(managedFile{id: "containers-conf", path: ContainersConfPath, mode: 0o644, contents: n.containersConf()})
	p.file(managedFile{id: "seccomp-profile", path: SeccompProfilePath, mode: 0o644, contents: SeccompProfile})
	policy, err := n.policyJSON()
	if err != nil {
		return err
	}
	p.file(managedFile{id: "policy-json", path: PolicyPath, mode: 0o644, contents: policy})
	for i, t := range n.Podman.Trust {
		p.file(managedFile{id: fmt.Sprintf("trust-key-%d", i), path: trustKeyPath(t), mode: 0o644,
			contents: normalizeKeyText(t.Key)})
	}
	p.file(managedFile{id: "registries-conf", path: RegistriesConfPath, mode: 0o644, contents: n.registriesConf()})
	if d := n.registriesD(); d != "" {
		p.file(managedFile{id: "registries-d", path: RegistriesDPath, mode: 0o644, contents: d})
	}

	// Container users: subordinate IDs, linger, Quadlet units.
	var subuid, subgid strings.Builder
	for _, a := range p.subids {
		line := fmt.Sprintf("%s:%d:%d\n", a.User, a.Range.Start, a.Range.Count)
		subuid.WriteString(line)
		subgid.WriteString(line)
	}
	if len(p.subids) > 0 {
		p.file(managedFile{id: "subuid-lines", path: "/etc/subuid", mode: 0o644, contents: subuid.String(),
			append: true})
		p.file(managedFile{id: "subgid-lines", path: "/etc/subgid", mode: 0o644, contents: subgid.String(),
			append: true})
	}
	uids := map[string]uint32{}
	for i, u := range n.ContainerUsers {
		uids[u.Name] = p.subids[i].UID
		if u.Linger {
			p.linger[u.Name] = true
		}
	}
	for _, q := range n.Podman.Quadlets {
		// A unit that starts at boot needs its user's manager running.
		p.linger[q.User] = true
		p.file(managedFile{id: "quadlet-" + q.User + "-" + q.Name, path: QuadletPath(uids[q.User], q.Name),
			mode: 0o644, contents: n.quadletUnit(q)})
	}
	p.buildLinger()

	// Updates: exactly one reboot manager.
	p.buildUpdate()
	return nil
}

func (p *plan) buildUpdate() {
	n := p.node
	if n.OS == Flatcar {
		p.file(managedFile{id: "update-conf", path: FlatcarUpdatePath, mode: 0o644, contents: n.flatcarUpdateConf()})
		if n.updateStrategy() == UpdateReboot {
			p.unit("locksmithd", "locksmithd.service", "enabled")
		} else {
			p.unit("locksmithd", "locksmithd.service", "masked")
		}
		return
	}
	p.file(managedFile{id: "transactional-update-conf", path: TransactionalPath, mode: 0o644,
		contents: n.transactionalUpdateConf()})
	p.unit("transactional-update-timer", "transactional-update.timer", "enabled")
	if n.updateStrategy() == UpdateReboot {
		p.file(managedFile{id: "rebootmgr-conf", path: RebootmgrConfigPath, mode: 0o644, contents: n.rebootmgrConf()})
		p.unit("rebootmgr", "rebootmgr.service", "enabled")
	} else {
		p.unit("rebootmgr", "rebootmgr.service", "masked")
	}
}

// buildLinger marks users whose services run without a login. Flatcar's
// initrd sees /var, so the flag file is written directly; MicroOS's /var is
// a subvolume the initrd does not mount, so a boot unit asks logind to
// create the flags.
func (p *plan) buildLinger() {
	var atBoot []string
	for _, u := range p.node.ContainerUsers {
		if !p.linger[u.Name] {
			continue
		}
		flag := LingerDir + "/" + u.Name
		if p.node.OS == MicroOS {
			atBoot = append(atBoot, u.Name)
			p.bootFiles = append(p.bootFiles, managedFile{id: "linger-" + u.Name, path: flag, mode: 0o644})
			continue
		}
		p.file(managedFile{id: "linger-" + u.Name, path: flag, mode: 0o644})
	}
	if len(atBoot) > 0 {
		p.units = append(p.units, managedUnit{id: "linger", name: LingerUnit, state: "enabled",
			contents: lingerUnitContents(atBoot)})
	}
}

// File is one file a node's config writes, for tools that inspect the
// rendered content (such as the strict Podman parsers in podmancheck).
type File struct {
	Path     string
	Mode     int
	Contents string
	Append   bool // appended to the file on the node, keeping its other lines
}

// Files returns the files the node's config writes, in config order.
func Files(n *Node) ([]File, error) {
	p, err := newPlan(n)
	if err != nil {
		return nil, err
	}
	out := make([]File, len(p.files))
	for i, f := range p.files {
		out[i] = File{Path: f.path, Mode: f.mode, Contents: f.contents, Append: f.append}
	}
	return out, nil
}
