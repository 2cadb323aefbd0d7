variable "os_family" {
  description = "Profile of every node: flatcar or microos."
  type        = string
  default     = "flatcar"
  validation {
    condition     = contains(["flatcar", "microos"], var.os_family)
    error_message = "os_family must be flatcar or microos."
  }
}

variable "node_count" {
  description = "Number of nodes, named <name_prefix>-001 and up (-1000 and beyond past 999)."
  type        = number
  default     = 3
  validation {
    condition     = var.node_count >= 1 && var.node_count <= 10000 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number from 1 to 10000."
  }
}

variable "name_prefix" {
  description = "Host name prefix of the nodes."
  type        = string
  default     = "node"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "level" {
  description = "Hardening level of every node unless overridden: baseline or restricted."
  type        = string
  default     = "restricted"
  validation {
    condition     = contains(["baseline", "restricted"], var.level)
    error_message = "level must be baseline or restricted."
  }
}

variable "admin_ssh_keys" {
  description = "Admin public keys of every node."
  type        = list(string)
  validation {
    condition     = length(var.admin_ssh_keys) > 0
    error_message = "admin_ssh_keys needs at least one key."
  }
}

variable "container_users" {
  description = "Container users of every node unless overridden."
  type = list(object({
    name   = string
    linger = optional(bool, false)
  }))
  default = [{ name = "app", linger = true }]
}

variable "update" {
  description = "Update policy of every node unless overridden: strategy (reboot, external; off only at level baseline) and an optional reboot window."
  type = object({
    strategy      = optional(string, "reboot")
    window_start  = optional(string)
    window_length = optional(string)
  })
  default = { window_start = "Thu 04:00", window_length = "1h" }
  validation {
    condition     = contains(["reboot", "external", "off"], var.update.strategy)
    error_message = "update.strategy must be reboot, external or off."
  }
  validation {
    condition     = (var.update.window_start == null) == (var.update.window_length == null)
    error_message = "update.window_start and update.window_length go together: set both or neither."
  }
}

variable "target" {
  description = "Target of every node (see the profile modules)."
  type        = string
  default     = null
}

variable "overrides" {
  description = "Per-node changes keyed by node name (e.g. node-002, node-1000): level, container_users, update (a different reboot window spreads reboots), sysctls. A key that names no node of the fleet is an error."
  type = map(object({
    level           = optional(string)
    container_users = optional(list(object({ name = string, linger = optional(bool, false) })))
    update = optional(object({
      strategy      = optional(string, "reboot")
      window_start  = optional(string)
      window_length = optional(string)
    }))
    sysctls = optional(map(string), {})
  }))
  default = {}
  validation {
    condition = alltrue([for k, _ in var.overrides : contains(
    [for i in range(var.node_count) : format("%s-%03d", var.name_prefix, i + 1)], k)])
    error_message = "overrides keys must name nodes of this fleet (${var.name_prefix}-001 to ${format("%s-%03d", var.name_prefix, var.node_count)}); these match no node: ${join(", ", [for k, _ in var.overrides : k if !contains([for i in range(var.node_count) : format("%s-%03d", var.name_prefix, i + 1)], k)])}."
  }
  validation {
    condition     = alltrue([for k, o in var.overrides : o.level == null || contains(["baseline", "restricted"], coalesce(o.level, "baseline"))])
    error_message = "overrides[*].level must be baseline or restricted; wrong for: ${join(", ", [for k, o in var.overrides : k if o.level != null && !contains(["baseline", "restricted"], coalesce(o.level, "baseline"))])}."
  }
  validation {
    condition     = alltrue([for k, o in var.overrides : o.update == null || contains(["reboot", "external", "off"], try(o.update.strategy, "reboot"))])
    error_message = "overrides[*].update.strategy must be reboot, external or off; wrong for: ${join(", ", [for k, o in var.overrides : k if o.update != null && !contains(["reboot", "external", "off"], try(o.update.strategy, "reboot"))])}."
  }
  validation {
    condition     = alltrue([for k, o in var.overrides : o.update == null || (try(o.update.window_start, null) == null) == (try(o.update.window_length, null) == null)])
    error_message = "overrides[*].update.window_start and window_length go together; wrong for: ${join(", ", [for k, o in var.overrides : k if o.update != null && (try(o.update.window_start, null) == null) != (try(o.update.window_length, null) == null)])}."
  }
}
