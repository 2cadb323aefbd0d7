# The main job of hardnode, end to end: render a hardened Flatcar node and a
# hardened MicroOS node from the profile modules, boot each in QEMU as the
# stand-in test node, and verify the running nodes over SSH. Changing
# var.os_version updates both nodes in place; verification then re-runs and
# reports the booted version, the A/B slot and any rollback.
#
# Run through `make demo` (examples/demo/run.sh), which builds the provider
# and the stand-in and makes throwaway keys with ssh-keygen.
terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

variable "keys_dir" {
  description = "Directory with admin_key(.pub) and <node>_host_key(.pub), made with ssh-keygen."
  type        = string
}

variable "state_dir" {
  description = "Directory for the test nodes' disks, pidfiles, QMP sockets and serial logs."
  type        = string
}

variable "standin_manifest" {
  description = "The stand-in's manifest.json (make standin)."
  type        = string
}

variable "os_version" {
  description = "OS version both nodes should run; changing it updates them in place."
  type        = string
  default     = "1.0.0"
}

variable "allow_rollback" {
  description = "Report a rolled-back update as a warning instead of failing the apply."
  type        = bool
  default     = false
}

locals {
  admin_public = trimspace(file("${var.keys_dir}/admin_key.pub"))
  nodes = {
    flatcar = module.flatcar
    microos = module.microos
  }
}

module "flatcar" {
  source          = "../../profiles/flatcar-container-host"
  hostname        = "demo-flatcar"
  level           = "restricted"
  admin_ssh_keys  = [local.admin_public]
  host_key        = file("${var.keys_dir}/flatcar_host_key")
  container_users = [{ name = "app", linger = true }]
  update          = { window_start = "Thu 04:00", window_length = "1h" }
  target          = "ignition-2.14" # the stand-in's Ignition; drop it for a real Flatcar
}

module "microos" {
  source          = "../../profiles/microos-container-host"
  hostname        = "demo-microos"
  level           = "restricted"
  admin_ssh_keys  = [local.admin_public]
  host_key        = file("${var.keys_dir}/microos_host_key")
  container_users = [{ name = "app", linger = true }]
  update          = { strategy = "external" }
  target          = "ignition-2.14"
  mount_home      = false # the stand-in has no separate /home
}

resource "hardnode_test_node" "node" {
  for_each = local.nodes

  standin_manifest = var.standin_manifest
  os_family        = each.key
  ignition         = each.value.rendered
  host_key         = each.value.host_public_key
  state_dir        = "${var.state_dir}/${each.key}"

  # Updates happen in place, over SSH as the admin user.
  os_version      = var.os_version
  ssh_user        = each.value.admin_user
  ssh_private_key = file("${var.keys_dir}/admin_key")
}

resource "hardnode_node_verification" "node" {
  for_each = local.nodes

  host        = hardnode_test_node.node[each.key].host
  port        = hardnode_test_node.node[each.key].ssh_port
  user        = each.value.admin_user
  private_key = file("${var.keys_dir}/admin_key")
  host_key    = hardnode_test_node.node[each.key].host_key

  expectations     = each.value.expectations
  not_applicable   = hardnode_test_node.node[each.key].not_applicable
  expected_version = var.os_version
  allow_rollback   = var.allow_rollback
  timeout          = "10m"

  # Re-verify after every update without replacing anything.
  triggers = {
    os_version = var.os_version
  }
}

output "report" {
  description = "One line per check and node: status, check id, and what was expected (or found, for a check that did not pass)."
  value = join("\n", flatten([
    for name, v in hardnode_node_verification.node : [
      for r in v.report : format("%-8s %-5s %-42s %s", name, r.status, r.id,
      substr(replace(r.status == "pass" ? r.expected : r.actual, "\n", " "), 0, 70))
    ]
  ]))
}

output "booted" {
  description = "What each node booted: version, A/B slot or snapshot, rollback."
  value = {
    for name, v in hardnode_node_verification.node : name => {
      wanted           = v.expected_version
      version          = v.os_version
      slot             = v.booted_slot
      snapshot         = v.booted_snapshot
      rolled_back      = v.rolled_back
      previous_version = v.previous_version
    }
  }
}
