package verify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// BenchmarkVerify50Nodes verifies 50 simulated nodes in parallel, as one
// apply with 50 hardnode_node_verification resources does, and reports the
// wall time per node and the SSH connections each node saw.
func BenchmarkVerify50Nodes(b *testing.B) {
	const nodes = 50
	type sim struct {
		node *nodesim.Node
		tgt  Target
		doc  *expect.Document
	}
	sims := make([]sim, nodes)
	for i := range sims {
		family := nodesim.Flatcar
		if i%2 == 1 {
			family = nodesim.MicroOS
		}
		n, tgt := simTarget(b, family, "1.0.0")
		sims[i] = sim{n, tgt, mustDoc(b, string(family), passingChecks(family, "1.0.0")...)}
	}
	opts := fastOptions()
	opts.Timeout = time.Minute

	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, nodes)
		for _, s := range sims {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rep, err := Verify(context.Background(), s.tgt, s.doc, opts)
				if err == nil && len(rep.Failed()) > 0 {
					err = &benchFailure{rep.Failed()[0]}
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()

	var conns int64
	for _, s := range sims {
		conns += s.node.Accepted.Load()
	}
	runs := float64(b.N * nodes)
	b.ReportMetric(float64(elapsed.Microseconds())/runs, "µs/node")
	b.ReportMetric(float64(conns)/runs, "conns/node")
	b.ReportMetric(float64(len(sims[0].doc.Checks)), "checks/node")
}

type benchFailure struct{ r expect.Result }

func (f *benchFailure) Error() string { return f.r.ID + ": " + string(f.r.Status) + " " + f.r.Detail }
