package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

// bench <socket> <callers> <size> <seconds>: each caller sends Echo calls of <size> bytes back to back
// over one shared connection for <seconds>, and the summary line has the same fields as the Java
// load generator's (EchoLoad.java), so bench-ttrpc.sh can put them side by side.
func bench(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("bench <socket> <callers> <size> <seconds>")
	}
	callers, _ := strconv.Atoi(args[1])
	size, _ := strconv.Atoi(args[2])
	seconds, _ := strconv.ParseFloat(args[3], 64)
	c, err := dial(args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	payload := wrapperspb.Bytes(pattern(size))
	ctx := context.Background()
	// Warm up the connection and the server.
	warmEnd := time.Now().Add(time.Second)
	for time.Now().Before(warmEnd) {
		var resp wrapperspb.BytesValue
		if err := c.Call(ctx, service, "Echo", payload, &resp); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				var resp wrapperspb.BytesValue
				if err := c.Call(ctx, service, "Echo", payload, &resp); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	elapsed := time.Since(start).Seconds()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1000
	}
	calls := float64(len(all))
	fmt.Printf("RESULT calls=%d calls_per_s=%.1f mib_per_s=%.2f p50_us=%.1f p99_us=%.1f\n",
		len(all), calls/elapsed, calls*float64(size)*2/elapsed/(1<<20), pct(0.50), pct(0.99))
	return nil
}
