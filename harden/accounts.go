package harden

import (
	"sort"
	"strings"
)

// Accounts the OS images already ship. Ignition modifies an existing
// account instead of creating one: a container user named like one of them
// would renumber it (files owned by the old UID break), and an admin named
// like one of them would get a system account's home and shell. Names
// starting with "systemd-" are reserved on both families.
var (
	commonReservedNames = []string{
		"root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "news", "uucp",
		"operator", "man", "games", "ftp", "nobody", "nogroup", "sshd", "messagebus", "dbus", "polkitd",
		"tss", "dnsmasq", "chrony", "ntp", "at", "rpc", "nscd", "wheel", "sudo", "users", "audio", "video",
		"disk", "tty", "kmem", "input", "kvm", "render", "utmp", "systemd-journal",
	}
	flatcarReservedNames = []string{
		"core", "docker", "etcd", "fleet", "portage", "sssd", "tcpdump", "tape", "cdrom", "floppy",
		"dialout", "lock", "uuidd", "nfsnobody", "rkt", "rkt-admin", "ldap", "named", "postgres",
	}
	microOSReservedNames = []string{
		"admin-old", "srvGeoClue", "statd", "tftp", "vnc", "nm-openconnect", "pesign", "qemu", "libvirt",
		"rtkit", "usbmux", "avahi", "cockpit-ws", "cockpit-wsinstance", "salt", "wwwrun", "mysql",
		"postfix", "zypp",
	}
)

// ReservedNames returns the account names an OS family ships, sorted.
func ReservedNames(os OSFamily) []string {
	names := append([]string(nil), commonReservedNames...)
	if os == MicroOS {
		names = append(names, microOSReservedNames...)
	} else {
		names = append(names, flatcarReservedNames...)
	}
	sort.Strings(names)
	return names
}

// reservedName reports whether name is an account the OS family ships.
func reservedName(os OSFamily, name string) bool {
	if strings.HasPrefix(name, "systemd-") {
		return true
	}
	for _, r := range ReservedNames(os) {
		if r == name {
			return true
		}
	}
	return false
}

// Reserved user IDs. UIDs below MinContainerUID belong to the image's
// system accounts; 65534 is nobody; 65535 and 4294967295 are (uint16)-1 and
// (uint32)-1, which useradd and the kernel treat as "no ID".
const (
	MinContainerUID = 1000
	NobodyUID       = 65534
)

// reservedUID says why uid cannot be a container user's ID, or "".
func reservedUID(uid uint32) string {
	switch {
	case uid < MinContainerUID:
		return "IDs below 1000 belong to the image's system accounts"
	case uid == NobodyUID:
		return "65534 is the nobody user"
	case uid == 65535:
		return "65535 is (uint16)-1, which older tools read as \"no ID\""
	case uid == 1<<32-1:
		return "4294967295 is (uint32)-1, which the kernel reads as \"no ID\""
	case uint64(uid) >= uint64(AdminSubIDReserve.Start) && uint64(uid) < AdminSubIDReserve.End():
		return "100000-165535 is the admin user's default subordinate ID range"
	}
	return ""
}
