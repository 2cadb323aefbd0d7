variable "hostname" {
  description = "Host name written to /etc/hostname (lowercase RFC 1123)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", var.hostname))
    error_message = "hostname must be a lowercase RFC 1123 name such as edge-1 or edge-1.example.internal."
  }
}

variable "level" {
  description = "Hardening level: baseline, or restricted (smaller capability set, ptrace_scope 2, no kexec or SysRq, SELinux must stay enforcing, updates must not be off)."
  type        = string
  default     = "baseline"
  validation {
    condition     = contains(["baseline", "restricted"], var.level)
    error_message = "level must be baseline or restricted."
  }
}

variable "admin_ssh_keys" {
  description = "Public keys (authorized_keys format) of the admin user; password logins are disabled."
  type        = list(string)
  validation {
    condition     = length(var.admin_ssh_keys) > 0 && alltrue([for k in var.admin_ssh_keys : can(regex("^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh.com|sk-ecdsa-sha2-nistp256@openssh.com) ", k))])
    error_message = "admin_ssh_keys needs at least one key, each starting with its type (ssh-ed25519 AAAA...)."
  }
}

variable "admin_user" {
  description = "Admin user name; null: admin."
  type        = string
  default     = null
}

variable "host_key" {
  description = "Optional OpenSSH ed25519 private key to use as the host key, so that host_public_key can be pinned before the first boot."
  type        = string
  default     = null
  sensitive   = true
}

variable "container_users" {
  description = "Users that run rootless containers; subordinate ID ranges are allocated unless subid_start is given."
  type = list(object({
    name        = string
    uid         = optional(number)
    subid_start = optional(number)
    subid_count = optional(number)
    linger      = optional(bool, false)
  }))
  default = []
  validation {
    condition     = length(distinct([for u in var.container_users : u.name])) == length(var.container_users)
    error_message = "container_users names must be unique."
  }
}

variable "trust" {
  description = "Registries whose signed images may be pulled (everything else is rejected): scope, type (sigstore or gpg), public key and optional signature lookaside URL (GPG signatures need it on registries without the signature API extension)."
  type = list(object({
    scope     = string
    type      = string
    key       = string
    lookaside = optional(string)
  }))
  default = []
  validation {
    condition     = alltrue([for t in var.trust : contains(["sigstore", "gpg"], t.type)])
    error_message = "trust[*].type must be sigstore or gpg."
  }
}

variable "quadlets" {
  description = "Container units run by container users (hardened: NoNewPrivileges, ReadOnly, all capabilities dropped, user namespace)."
  type = list(object({
    name             = string
    user             = string
    image            = string
    exec             = optional(string)
    publish_ports    = optional(list(string), [])
    environment      = optional(map(string), {})
    add_capabilities = optional(list(string), [])
    userns           = optional(string)
  }))
  default = []
}

variable "update" {
  description = "Update policy: strategy (reboot: rebootmgr; external: kured; off), optional reboot window (start like \"Thu 04:00\", length like \"1h30m\")."
  type = object({
    strategy      = optional(string, "reboot")
    window_start  = optional(string)
    window_length = optional(string)
  })
  default = {}
  validation {
    condition     = contains(["reboot", "external", "off"], var.update.strategy)
    error_message = "update.strategy must be reboot, external or off."
  }
  validation {
    condition     = (var.update.window_start == null) == (var.update.window_length == null)
    error_message = "update.window_start and update.window_length go together: set both or neither."
  }
}

variable "selinux_mode" {
  description = "enforcing (default) or permissive (debugging only; refused at level restricted)."
  type        = string
  default     = "enforcing"
  validation {
    condition     = contains(["enforcing", "permissive"], var.selinux_mode)
    error_message = "selinux_mode must be enforcing or permissive; this profile never disables SELinux."
  }
}

variable "sysctls" {
  description = "Extra sysctls or overrides of the hardening ones."
  type        = map(string)
  default     = {}
}

variable "snippets" {
  description = "Extra Butane documents (variant fcos) merged after the hardened config."
  type        = list(string)
  default     = []
}

variable "target" {
  description = "What boots the config: microos (openSUSE's current Ignition) or ignition-2.N. Null: spec 3.3.0."
  type        = string
  default     = null
  validation {
    condition     = var.target == null || can(regex("^(microos|ignition-2\\.[0-9]+)$", var.target))
    error_message = "target must be microos or ignition-2.N."
  }
}

variable "mount_home" {
  description = "Declare the /home btrfs subvolume for Ignition (true on real MicroOS; false only on stand-ins without it)."
  type        = bool
  default     = true
}
