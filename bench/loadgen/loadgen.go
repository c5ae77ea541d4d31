package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure one run.
type Options struct {
	// URL is the server's base, e.g. https://127.0.0.1:9443.
	URL string
	// CA verifies the server's certificate.
	CA *x509.CertPool
	// Conns is the number of keep-alive connections, each driven by one
	// client sending one request at a time.
	Conns int
	// Cases are sent in turn by every connection (mixed load when more
	// than one).
	Cases []*Case
	// Warmup is run before measuring; its answers are checked too.
	Warmup   time.Duration
	Duration time.Duration
	// MaxRequests bounds the measured requests (0: no bound).
	MaxRequests int64
}

// Result is what one run measured. Every request is counted once: OK, or
// as one kind of error.
type Result struct {
	Requests int64 // measured requests answered correctly
	// Transport errors (connection, TLS, timeouts), HTTP 5xx, other
	// non-200 statuses, and answers that differ from the expectation.
	TransportErrors, ServerErrors, StatusErrors, WrongAnswers int64
	// FirstErrors holds the first few error messages.
	FirstErrors []string
	Elapsed     time.Duration
	P50, P99    time.Duration
	// ByDecision counts correct answers by expected decision.
	ByDecision map[string]int64
}

// Errors is the number of requests that did not get the expected answer.
func (r Result) Errors() int64 {
	return r.TransportErrors + r.ServerErrors + r.StatusErrors + r.WrongAnswers
}

// RPS is correct answers per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Client returns an HTTP client holding at most one keep-alive HTTP/1.1
// connection, as the API server's calls to a webhook are.
func Client(ca *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: ca, MinVersion: tls.VersionTLS12},
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

type collector struct {
	mu          sync.Mutex
	res         Result
	lat         []time.Duration
	requests    atomic.Int64
	maxRequests int64
}

func (c *collector) fail(kind *int64, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*kind++
	if len(c.res.FirstErrors) < 5 {
		c.res.FirstErrors = append(c.res.FirstErrors, msg)
	}
}

// Run sends requests over o.Conns connections for o.Warmup + o.Duration
// (or until o.MaxRequests measured requests) and checks every answer.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Conns < 1 || len(o.Cases) == 0 || o.Duration <= 0 {
		return Result{}, fmt.Errorf("loadgen: need connections, cases and a duration")
	}
	col := &collector{maxRequests: o.MaxRequests, res: Result{ByDecision: map[string]int64{}}}
	var measuring atomic.Bool
	var uidSeq atomic.Uint64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	lats := make([][]time.Duration, o.Conns)
	byDecision := make([]map[string]int64, o.Conns)
	for w := range o.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := Client(o.CA)
			defer client.CloseIdleConnections()
			dec := map[string]int64{}
			var lat []time.Duration
			for i := w; ctx.Err() == nil; i++ {
				c := o.Cases[i%len(o.Cases)]
				uid := strconv.FormatUint(uidSeq.Add(1), 36)
				start := time.Now()
				ok := col.do(ctx, client, o.URL, c, uid)
				d := time.Since(start)
				if !measuring.Load() || ctx.Err() != nil {
					continue
				}
				if ok {
					lat = append(lat, d)
					dec[c.Expect.Decision()]++
					if n := col.requests.Add(1); col.maxRequests > 0 && n >= col.maxRequests {
						cancel()
					}
				}
			}
			lats[w], byDecision[w] = lat, dec
		}()
	}

	select {
	case <-time.After(o.Warmup):
	case <-ctx.Done():
	}
	// Errors during warm-up count as well: every answer is checked.
	measuring.Store(true)
	start := time.Now()
	select {
	case <-time.After(o.Duration):
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()

	res := col.res
	res.Elapsed = elapsed
	var all []time.Duration
	for w := range o.Conns {
		all = append(all, lats[w]...)
		for k, v := range byDecision[w] {
			res.ByDecision[k] += v
		}
	}
	res.Requests = int64(len(all))
	slices.Sort(all)
	res.P50, res.P99 = Percentile(all, 0.50), Percentile(all, 0.99)
	return res, nil
}

// Percentile of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// do sends one review and checks the answer; false when it failed. A
// request cut short because the run ended is not counted at all.
func (col *collector) do(ctx context.Context, client *http.Client, base string, c *Case, uid string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+c.Path, bytes.NewReader(c.body(uid)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			col.fail(&col.res.TransportErrors, fmt.Sprintf("%s %s: %v", c.Name, c.Path, err))
		}
		return false
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			col.fail(&col.res.TransportErrors, fmt.Sprintf("%s %s: reading the answer: %v", c.Name, c.Path, err))
		}
		return false
	case resp.StatusCode >= 500:
		col.fail(&col.res.ServerErrors, fmt.Sprintf("%s %s: %s: %.200s", c.Name, c.Path, resp.Status, answer))
		return false
	case resp.StatusCode != http.StatusOK:
		col.fail(&col.res.StatusErrors, fmt.Sprintf("%s %s: %s: %.200s", c.Name, c.Path, resp.Status, answer))
		return false
	}
	if err := c.verify(uid, answer); err != nil {
		col.fail(&col.res.WrongAnswers, fmt.Sprintf("%s %s: %v", c.Name, c.Path, err))
		return false
	}
	return true
}

// verify checks an answer. The first correct answer of a case, with its uid
// cut out, becomes the case's golden answer; later answers equal to it (with
// their own uid) are correct without decoding, and any other answer is
// decoded and checked in full. This keeps the client's cost low so that it
// takes less of the machine from the server being measured.
func (c *Case) verify(uid string, answer []byte) error {
	if g := c.golden.Load(); g != nil {
		if len(answer) == len(g.head)+len(uid)+len(g.tail) && bytes.HasPrefix(answer, g.head) &&
			bytes.HasSuffix(answer, g.tail) && string(answer[len(g.head):len(g.head)+len(uid)]) == uid {
			return nil
		}
	}
	if err := c.check(uid, answer); err != nil {
		return err
	}
	quoted := []byte(`"uid":"` + uid + `"`)
	if bytes.Count(answer, quoted) == 1 {
		head, tail, _ := bytes.Cut(answer, quoted)
		head = append(slices.Clip(head), `"uid":"`...)
		c.golden.CompareAndSwap(nil, &golden{head: head, tail: append([]byte(`"`), tail...)})
	}
	return nil
}

type golden struct{ head, tail []byte }
