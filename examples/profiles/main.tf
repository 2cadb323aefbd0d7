# A hardened Flatcar node and a hardened MicroOS node from the profile
# modules, rendered for the QEMU stand-in (Debian's Ignition 2.14, spec 3.3.0,
# /home a plain directory). For real machines drop `target = "ignition-2.14"`
# (or name the release) and `mount_home = false`.
terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

variable "admin_ssh_keys" {
  description = "Admin public keys for both nodes."
  type        = list(string)
}

variable "host_keys" {
  description = "Optional ed25519 host private keys by node (flatcar, microos) to pin before the first boot."
  type        = map(string)
  default     = {}
  sensitive   = true
}

module "flatcar" {
  source          = "../../profiles/flatcar-container-host"
  hostname        = "flatcar-1"
  level           = "restricted"
  admin_ssh_keys  = var.admin_ssh_keys
  host_key        = lookup(var.host_keys, "flatcar", null)
  container_users = [{ name = "app", linger = true }]
  update          = { window_start = "Thu 04:00", window_length = "1h" }
  target          = "ignition-2.14"
}

module "microos" {
  source          = "../../profiles/microos-container-host"
  hostname        = "microos-1"
  level           = "restricted"
  admin_ssh_keys  = var.admin_ssh_keys
  host_key        = lookup(var.host_keys, "microos", null)
  container_users = [{ name = "app", linger = true }]
  update          = { strategy = "external" }
  target          = "ignition-2.14"
  mount_home      = false
}

output "flatcar_ignition" {
  value     = module.flatcar.rendered
  sensitive = true
}

output "flatcar_expectations" {
  value = module.flatcar.expectations
}

output "microos_ignition" {
  value     = module.microos.rendered
  sensitive = true
}

output "microos_expectations" {
  value = module.microos.expectations
}

output "admin_users" {
  value = { flatcar = module.flatcar.admin_user, microos = module.microos.admin_user }
}

output "host_public_keys" {
  value = { flatcar = module.flatcar.host_public_key, microos = module.microos.host_public_key }
}
