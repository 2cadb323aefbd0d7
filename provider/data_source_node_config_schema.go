package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nodeConfigDataSourceSchema keeps the hardnode_node_config descriptions next
// to its model; tfplugindocs turns them into docs/data-sources/node_config.md.
func nodeConfigDataSourceSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "Renders a hardened Flatcar Container Linux or openSUSE MicroOS node from a short " +
			"description: admin user with SSH keys and passwordless sudo, a hardened sshd drop-in, container " +
			"users with subordinate ID ranges, rootless Podman (seccomp profile, minimal capabilities, " +
			"signature policy, Quadlet units), SELinux enforcing, hardening sysctls and an update policy " +
			"with exactly one reboot manager. Outputs the Butane config, its Ignition and the " +
			"`expectations` document that `hardnode_node_verification` checks on the booted node, all " +
			"derived from the same model. Every default is the hardened choice.",
		Attributes: map[string]schema.Attribute{
			"os_family": schema.StringAttribute{Required: true,
				MarkdownDescription: "`flatcar` or `microos`."},
			"level": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`baseline` (default) or `restricted`: a smaller default capability set " +
					"(CHOWN FOWNER KILL NET_BIND_SERVICE SETGID SETUID), `kernel.yama.ptrace_scope = 2`, kexec " +
					"and SysRq off. At `restricted` these are errors: `selinux.mode` other than `enforcing`, " +
					"`update.strategy = \"off\"`, `default_capabilities` or Quadlet `add_capabilities` " +
					"outside that set, and Quadlet units turning `no_new_privileges` off."},
			"hostname": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Written to `/etc/hostname`; unset keeps the image's (DHCP) name."},
			"admin": schema.SingleNestedAttribute{Required: true,
				MarkdownDescription: "The login user. It is the only user sshd lets in (`AllowUsers`), with " +
					"keys only, and has passwordless sudo through `/etc/sudoers.d/hardnode-admin`.",
				Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{Optional: true,
						MarkdownDescription: "Default `core` on Flatcar (the image's user), `admin` on MicroOS. " +
							"Names of accounts the image ships (`root`, `bin`, `daemon`, `nobody`, `sshd`, " +
							"`systemd-*`, ...) are refused."},
					"ssh_authorized_keys": schema.ListAttribute{Required: true, ElementType: types.StringType,
						MarkdownDescription: "Public keys in authorized_keys format, one per element: ed25519, " +
							"ECDSA, RSA or their security-key forms. CRLF line ends are removed."},
				}},
			"ssh": schema.SingleNestedAttribute{Optional: true,
				MarkdownDescription: "sshd options beyond the fixed hardening.",
				Attributes: map[string]schema.Attribute{
					"host_key": schema.StringAttribute{Optional: true, Sensitive: true,
						MarkdownDescription: "An unencrypted OpenSSH ed25519 private key to use as the node's " +
							"host key (`-----BEGIN OPENSSH PRIVATE KEY-----`, from `ssh-keygen -t ed25519`; CRLF " +
							"line ends are normalised), so that its public half (`host_public_key`) can be pinned " +
							"before the first boot; unset: the node generates its own, `\"\"` is an error. It ends up in `butane` and `rendered` (both sensitive) and in the " +
							"Terraform state: protect the state."},
				}},
			"container_users": schema.ListNestedAttribute{Optional: true,
				MarkdownDescription: "Users that run rootless containers. Each is a system account (so " +
					"useradd allocates no range of its own) with a subordinate UID/GID range appended to " +
					"`/etc/subuid` and `/etc/subgid`. Allocated ranges start above 165535 (100000-165535 " +
					"stays free for the admin user) and never overlap each other, explicit ranges or user IDs. " +
					"Names of accounts the image ships are refused.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{Required: true, MarkdownDescription: "User name."},
					"uid": schema.Int64Attribute{Optional: true,
						MarkdownDescription: "User ID from 1000 up, not 65534, 65535, 4294967295 nor in " +
							"100000-165535; unset: the next free one from 5000 (`0` is an error)."},
					"subid_start": schema.Int64Attribute{Optional: true,
						MarkdownDescription: "Start of an explicit subordinate range, 165536 or above " +
							"(100000-165535 is reserved for the admin user's default range); unset: allocated."},
					"subid_count": schema.Int64Attribute{Optional: true,
						MarkdownDescription: "Size of the range, at least 65536; unset: 65536 (`0` is an error)."},
					"linger": schema.BoolAttribute{Optional: true,
						MarkdownDescription: "Keep the user's services running without a login. Implied for " +
							"users with Quadlet units."},
				}},
			},
			"podman":           podmanSchema(),
			"selinux":          selinuxSchema(),
			"update":           updateSchema(),
			"sysctls":          schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Extra sysctls, or overrides of the hardening ones, written to `/etc/sysctl.d/zz-hardnode.conf`. Integers are read as the kernel reads them (`0x10` is 16, `010` is 8) and written and checked in decimal. Settings that break rootless Podman are refused: any `user.max_*_namespaces` below 1024 and `kernel.unprivileged_userns_clone = 0`."},
			"microos":          microOSSchema(),
			"snippets":         schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Butane documents merged after the hardened config (same variant: `flatcar` 1.x on Flatcar, `fcos` on MicroOS). A snippet that weakens a hardening setting (SELinux, Docker masking, sshd, sysctls, the image policy, the reboot manager) gives a warning naming it; verification still checks hardnode's values."},
			"ignition_version": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Ignition spec of `rendered`, as in `hardnode_butane`. When unset: the highest spec of `target`, else 3.3.0 (Flatcar 3185 and later, Ignition 2.11 and later)."},
			"target":           schema.StringAttribute{Optional: true, MarkdownDescription: "The machine that boots the config, as in `hardnode_butane`: `flatcar-4081.2.0`, `microos`, `ignition-2.14`. Flatcar releases before 3941 have no Podman system extension: with container users or Quadlet units they are an error."},
			"pretty_print":     schema.BoolAttribute{Optional: true, MarkdownDescription: "Indent the rendered JSON. Default `false`."},
			"strict":           schema.BoolAttribute{Optional: true, MarkdownDescription: "Fail on any Butane warning (from snippets). Default `false`."},
			"butane": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The hardened Butane config (YAML), before snippets. Sensitive because it " +
					"may carry `ssh.host_key`; use `nonsensitive()` to show it when no host key is set."},
			"rendered": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The Ignition config (JSON) with snippets merged. Sensitive like `butane`."},
			"expectations": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The expectations document (JSON, version 1) for " +
					"`hardnode_node_verification`: files with modes and checksums, unit states, SELinux " +
					"mode, sysctls, subordinate ID lines and commands run through the admin user's sudo."},
			"host_public_key": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The public half of `ssh.host_key` in authorized_keys format, to pin; " +
					"empty when the node generates its own host keys."},
			"admin_user": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The admin user's effective name, to log in and verify with."},
		},
	}
}

func podmanSchema() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "Rootless Podman. On Flatcar the Podman system extension is enabled and Docker's " +
			"socket and service are masked. The seccomp profile is Podman's default minus the calls listed " +
			"in `harden/seccomp/REMOVED.md`.",
		Attributes: map[string]schema.Attribute{
			"rootless_network": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`pasta` (default) or `slirp4netns` (Podman before 4.4)."},
			"default_capabilities": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Capabilities containers get by default, without `CAP_`; unset: the level's set."},
			"trust": schema.ListNestedAttribute{Optional: true,
				MarkdownDescription: "Registries whose signed images may be pulled; `policy.json` rejects " +
					"everything else.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"scope": schema.StringAttribute{Required: true,
						MarkdownDescription: "Registry host with optional repository path, e.g. `ghcr.io/acme`."},
					"type": schema.StringAttribute{Required: true,
						MarkdownDescription: "`sigstore` (cosign public key) or `gpg` (armored public key)."},
					"key": schema.StringAttribute{Required: true, MarkdownDescription: "The public key, " +
						"written to `/etc/containers/keys/<scope>-<hash>.pub` (or `.gpg`)."},
					"lookaside": schema.StringAttribute{Optional: true,
						MarkdownDescription: "URL of the scope's signature storage (`https://`, `http://` or " +
							"`file://`), written to `registries.d` as `lookaside`. GPG signatures need it for " +
							"registries without the signature API extension (nearly all but Quay)."},
				}},
			},
			"quadlets": schema.ListNestedAttribute{Optional: true,
				MarkdownDescription: "Container units, written to `/etc/containers/systemd/users/UID/NAME.container` " +
					"of their user, with `NoNewPrivileges=true`, `ReadOnly=true`, `DropCapability=all` " +
					"and a user namespace. Their images must be covered by a `trust` scope.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  schema.StringAttribute{Required: true, MarkdownDescription: "Unit name without `.container`."},
					"user":  schema.StringAttribute{Required: true, MarkdownDescription: "A `container_users` name."},
					"image": schema.StringAttribute{Required: true, MarkdownDescription: "Fully qualified image reference."},
					"exec":  schema.StringAttribute{Optional: true, MarkdownDescription: "Command line for the container."},
					"publish_ports": schema.ListAttribute{Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Podman's `[[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]` entries: " +
							"IPv6 in brackets, an empty host port (`127.0.0.1::80`), ranges of equal length, " +
							"`tcp`, `udp` or `sctp`; ports 1-65535."},
					"environment": schema.MapAttribute{Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Environment variables."},
					"add_capabilities": schema.ListAttribute{Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Capabilities added back after dropping all."},
					"userns": schema.StringAttribute{Optional: true,
						MarkdownDescription: "`auto` (default), `keep-id` or `nomap`."},
					"writable_rootfs": schema.BoolAttribute{Optional: true,
						MarkdownDescription: "Drop `ReadOnly=true`. Default `false`."},
					"no_new_privileges": schema.BoolAttribute{Optional: true,
						MarkdownDescription: "Default `true`; `false` only at level `baseline`."},
				}},
			},
		},
	}
}

func selinuxSchema() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "SELinux. On Flatcar, `/etc/selinux/config` (a symlink into `/usr`) is replaced " +
			"by a real file with `SELINUXTYPE=mcs`; on MicroOS the file says `SELINUXTYPE=targeted`.",
		Attributes: map[string]schema.Attribute{
			"mode": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`enforcing` (default), `permissive` (for debugging) or `disabled` " +
					"(needs `allow_disabled`)."},
			"allow_disabled": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Required to set `mode = \"disabled\"`."},
		},
	}
}

func updateSchema() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "Automatic updates, with exactly one reboot manager active. Flatcar: " +
			"`/etc/flatcar/update.conf`, locksmithd enabled for `reboot`, masked otherwise. MicroOS: " +
			"`/etc/transactional-update.conf` `REBOOT_METHOD` (`rebootmgr`, `kured`, `none`) and " +
			"`/etc/rebootmgr/rebootmgr.conf`, rebootmgr enabled for `reboot`, masked otherwise.",
		Attributes: map[string]schema.Attribute{
			"strategy": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`reboot` (default): reboot after an update, inside the window if set; " +
					"`external`: a cluster reboot manager such as kured reboots; `off`: updates are staged " +
					"and take effect at the next reboot someone else does."},
			"window_start": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`HH:MM` (daily) or `Day HH:MM` (`Mon`…`Sun`); with `window_length`."},
			"window_length": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Duration in whole minutes such as `1h30m`, at most `168h`; with `window_start`."},
			"group": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Flatcar update group (`stable`, `beta`, `alpha`, `lts`); Flatcar only."},
		},
	}
}

func microOSSchema() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "MicroOS specifics.",
		Attributes: map[string]schema.Attribute{
			"mount_home": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Declare the `/home` btrfs subvolume (`/dev/disk/by-label/ROOT`, " +
					"`subvol=/@/home`) so that Ignition creates homes and SSH keys on it. Default `true`; set " +
					"`false` only where `/home` is a plain directory of the root filesystem (test stand-ins)."},
		},
	}
}
