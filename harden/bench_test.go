package harden

import (
	"fmt"
	"testing"
)

// BenchmarkRenderFleet renders a 100-node fleet like profiles/fleet does:
// one restricted Flatcar profile, per-node hostnames and users. One
// iteration is the whole fleet; ns/op / 100 is the time per node.
func BenchmarkRenderFleet(b *testing.B) {
	base := testNodes()[1].node(b)
	nodes := make([]*Node, 100)
	for i := range nodes {
		n := *base
		n.Hostname = fmt.Sprintf("node-%03d", i)
		n.ContainerUsers = append([]ContainerUser(nil), base.ContainerUsers...)
		n.ContainerUsers = append(n.ContainerUsers, ContainerUser{Name: fmt.Sprintf("extra%d", i%4)})
		nodes[i] = &n
	}
	b.ResetTimer()
	for b.Loop() {
		for _, n := range nodes {
			if _, err := Render(n, RenderOptions{Target: "flatcar-3510.2.0"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(nodes)), "µs/node")
}
