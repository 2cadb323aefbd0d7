terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

variable "host" {
  type = string
}

variable "host_key" {
  type = string
}

# Read-only: facts and check results, never a failed plan because of a check.
data "hardnode_node_facts" "node" {
  host         = var.host
  user         = "core"
  agent_socket = pathexpand("~/.ssh/agent.sock") # data sources keep inputs in state: prefer an agent
  host_key     = var.host_key
  expectations = jsonencode({
    version = 1
    checks  = [{ id = "selinux", kind = "selinux", mode = "enforcing" }]
  })
}

output "drift" {
  value = {
    version        = data.hardnode_node_facts.node.os_version
    slot           = data.hardnode_node_facts.node.booted_slot
    snapshot       = data.hardnode_node_facts.node.booted_snapshot
    failed_units   = data.hardnode_node_facts.node.failed_units
    reboot_pending = data.hardnode_node_facts.node.reboot_pending
    checks_failed  = data.hardnode_node_facts.node.checks_failed
  }
}
