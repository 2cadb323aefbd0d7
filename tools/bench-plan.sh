#!/usr/bin/env bash
# terraform plan over N distinct hardnode_butane data sources (copies of
# butane/testdata/bench/medium.bu with instance-0 replaced by instance-N),
# next to N terraform_data resources holding the same text. Prints the time
# per data source / resource and the provider's peak memory (VmHWM).
# Needs `make build` first (it uses build/terraformrc's dev_overrides).
# BENCH_PLAN_NS overrides the list of N (default "1 100 300 1000").
set -euo pipefail
cd "$(dirname "$0")/.."

root="$PWD"
if [[ ! -f build/terraformrc ]]; then
	echo "bench-plan: build/terraformrc missing: run 'make build' first" >&2
	exit 1
fi
export TF_CLI_CONFIG_FILE="$root/build/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
ns="${BENCH_PLAN_NS:-1 100 300 1000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp butane/testdata/bench/medium.bu "$work/medium.bu"

# peak_rss_kib PID: highest VmHWM of PID's child processes (the provider)
# while PID runs.
peak_rss_kib() {
	local parent=$1 peak=0 child v
	while kill -0 "$parent" 2>/dev/null; do
		for child in $(pgrep -P "$parent" || true); do
			v=$(awk '/^VmHWM:/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
			if [[ -n "$v" && "$v" -gt "$peak" ]]; then peak=$v; fi
		done
		sleep 0.05
	done
	echo "$peak"
}

# run_plan DIR: prints "seconds peak_kib"
run_plan() {
	local dir=$1 start end peak
	start=$(date +%s%N)
	terraform -chdir="$dir" plan -input=false -lock=false >"$dir/plan.log" 2>&1 &
	local tf=$!
	peak=$(peak_rss_kib "$tf")
	if ! wait "$tf"; then
		echo "bench-plan: terraform plan failed in $dir:" >&2
		tail -20 "$dir/plan.log" >&2
		exit 1
	fi
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000000 )) $peak"
}

printf '%-6s %-18s %10s %14s %18s\n' N kind "plan ms" "ms per item" "provider peak MiB"
for n in $ns; do
	mkdir -p "$work/butane-$n" "$work/data-$n"
	cat >"$work/butane-$n/main.tf" <<TF
terraform {
  required_providers {
    hardnode = { source = "hardnode/hardnode" }
  }
}
data "hardnode_butane" "node" {
  count   = $n
  content = replace(file("\${path.module}/../medium.bu"), "instance-0", "instance-\${count.index}")
}
TF
	cat >"$work/data-$n/main.tf" <<TF
resource "terraform_data" "node" {
  count = $n
  input = replace(file("\${path.module}/../medium.bu"), "instance-0", "instance-\${count.index}")
}
TF
	read -r ms peak < <(run_plan "$work/butane-$n")
	printf '%-6s %-18s %10d %14.2f %18.1f\n' "$n" hardnode_butane "$ms" "$(awk -v a="$ms" -v b="$n" 'BEGIN{print a/b}')" \
		"$(awk -v a="$peak" 'BEGIN{print a/1024}')"
	read -r ms _ < <(run_plan "$work/data-$n")
	printf '%-6s %-18s %10d %14.2f %18s\n' "$n" terraform_data "$ms" "$(awk -v a="$ms" -v b="$n" 'BEGIN{print a/b}')" "-"
done
