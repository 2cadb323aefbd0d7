package harden

import (
	"fmt"
	"testing"
)

// TestReservedAccountsRefused: names the images ship, reserved UIDs and
// explicit ranges in the admin's default range are attribute errors.
func TestReservedAccountsRefused(t *testing.T) {
	tests := []struct {
		name   string
		os     OSFamily
		change func(n *Node)
		path   string
	}{
		{"container nobody", Flatcar, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "nobody"}} },
			"container_users[0].name"},
		{"container sshd microos", MicroOS, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "sshd"}} },
			"container_users[0].name"},
		{"container systemd-", MicroOS, func(n *Node) {
			n.ContainerUsers = []ContainerUser{{Name: "systemd-network"}}
		}, "container_users[0].name"},
		{"container core with another admin", Flatcar, func(n *Node) {
			n.Admin.Name = "ops"
			n.ContainerUsers = []ContainerUser{{Name: "core"}}
		}, "container_users[0].name"},
		{"admin nobody", MicroOS, func(n *Node) { n.Admin.Name = "nobody" }, "admin.name"},
		{"admin daemon", Flatcar, func(n *Node) { n.Admin.Name = "daemon" }, "admin.name"},
		{"uid 65534", Flatcar, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "a", UID: 65534}} },
			"container_users[0].uid"},
		{"uid 65535", Flatcar, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "a", UID: 65535}} },
			"container_users[0].uid"},
		{"uid max", Flatcar, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "a", UID: 1<<32 - 1}} },
			"container_users[0].uid"},
		{"uid 500", Flatcar, func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "a", UID: 500}} },
			"container_users[0].uid"},
		{"uid in admin range", Flatcar, func(n *Node) {
			n.ContainerUsers = []ContainerUser{{Name: "a", UID: 120000}}
		}, "container_users[0].uid"},
	}
	for _, start := range []uint32{0, 1000, 99999, 100000, 130000, 165535, 35000} {
		for _, os := range []OSFamily{Flatcar, MicroOS} {
			tests = append(tests, struct {
				name   string
				os     OSFamily
				change func(n *Node)
				path   string
			}{fmt.Sprintf("range %d on %s", start, os), os, func(n *Node) {
				n.ContainerUsers = []ContainerUser{{Name: "a", SubIDs: &SubIDRange{Start: start, Count: 65536}}}
			}, "container_users[0].subid_start"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testNodes()[0].node(t)
			n.OS = tt.os
			tt.change(n)
			assertFirstError(t, n, tt.path)
		})
	}
}

func TestReservedAccountsAllowed(t *testing.T) {
	n := testNodes()[0].node(t)
	n.ContainerUsers = []ContainerUser{{Name: "app", UID: 1000}, {Name: "web", UID: 99999},
		{Name: "db", UID: 300000}, {Name: "x", SubIDs: &SubIDRange{Start: 165536, Count: 65536}}}
	if err := n.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	n.OS, n.Admin.Name = MicroOS, "ops"
	if err := n.Validate(); err != nil {
		t.Fatalf("Validate on MicroOS: %v", err)
	}
}
