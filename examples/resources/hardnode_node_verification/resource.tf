terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

variable "host" {
  description = "Address of the node to verify."
  type        = string
}

variable "port" {
  type    = number
  default = 22
}

variable "host_key" {
  description = "The node's known_hosts line or SHA256 fingerprint (ssh-keyscan, or the test node's host_key)."
  type        = string
}

variable "os_version" {
  description = "The OS version the node should run; change it after starting an update."
  type        = string
  default     = null
}

# The expectations document: usually data.hardnode_node_config.<name>.expectations.
locals {
  expectations = jsonencode({
    version   = 1
    os_family = "flatcar"
    checks = [
      { id = "selinux", kind = "selinux", mode = "enforcing" },
      { id = "ptrace", kind = "sysctl", key = "kernel.yama.ptrace_scope", value = "1" },
      { id = "docker-socket", kind = "unit", name = "docker.socket", state = "masked" },
      { id = "subuid-core", kind = "subid", file = "/etc/subuid", user = "core", start = 100000, count = 65536 },
      { id = "sshd-dropin", kind = "file", path = "/etc/ssh/sshd_config.d/05-hardnode.conf", mode = "0600", owner = "root" },
    ]
  })
}

# admin_key is the login key, made with ssh-keygen before the run (or use agent_socket).
resource "hardnode_node_verification" "node" {
  host        = var.host
  port        = var.port
  user        = "core"
  private_key = file("${path.module}/admin_key") # write-only: never stored
  host_key    = var.host_key

  expectations     = local.expectations
  expected_version = var.os_version
  timeout          = "10m"

  # Re-verify after each update, without replacing anything.
  triggers = {
    os_version = coalesce(var.os_version, "initial")
  }
}

output "report" {
  value = hardnode_node_verification.node.report
}

output "booted" {
  value = {
    version     = hardnode_node_verification.node.os_version
    slot        = hardnode_node_verification.node.booted_slot
    rolled_back = hardnode_node_verification.node.rolled_back
  }
}
