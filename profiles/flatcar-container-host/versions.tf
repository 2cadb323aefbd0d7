terraform {
  required_version = ">= 1.9.0"
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}
