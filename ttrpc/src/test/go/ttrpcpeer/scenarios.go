package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const maxMessage = 4 << 20

func dial(path string) (*ttrpc.Client, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	return ttrpc.NewClient(conn), nil
}

// Each scenario checks what the server answered and returns an error on any difference.
var scenarios = map[string]func(ctx context.Context, c *ttrpc.Client) error{
	"unary":            func(ctx context.Context, c *ttrpc.Client) error { return echo(ctx, c, []byte("hello from go")) },
	"payload-empty":    func(ctx context.Context, c *ttrpc.Client) error { return echo(ctx, c, nil) },
	"payload-1mib":     func(ctx context.Context, c *ttrpc.Client) error { return echo(ctx, c, pattern(1<<20)) },
	// No deadline here: a timeout_nano field would make the largest Request 7 bytes larger.
	"payload-max":      func(ctx context.Context, c *ttrpc.Client) error { return echo(context.Background(), c, pattern(largestEcho())) },
	"payload-over":     payloadOver,
	"oversize-reply":   oversizeReply,
	"concurrent":       concurrent,
	"metadata":         metadata,
	"error-status":     errorStatus,
	"unknown-service":  unknownService,
	"unknown-method":   unknownMethod,
	"deadline":         deadline,
	"server-streaming": serverStreaming,
	"stream-error":     streamError,
	"client-streaming": clientStreaming,
	"bidi-streaming":   bidiStreaming,
}

func runScenario(path, name string) error {
	scenario, ok := scenarios[name]
	if !ok {
		return fmt.Errorf("unknown scenario %q", name)
	}
	c, err := dial(path)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return scenario(ctx, c)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i/251)
	}
	return b
}

// largestEcho is the Echo payload whose Request frame is exactly the 4 MiB limit.
func largestEcho() int {
	n := maxMessage
	for {
		inner, _ := proto.Marshal(wrapperspb.Bytes(make([]byte, n)))
		req := &ttrpc.Request{Service: service, Method: "Echo", Payload: inner}
		size := proto.Size(req)
		if size <= maxMessage {
			return n
		}
		n -= size - maxMessage
	}
}

func echo(ctx context.Context, c *ttrpc.Client, data []byte) error {
	var resp wrapperspb.BytesValue
	if err := c.Call(ctx, service, "Echo", wrapperspb.Bytes(data), &resp); err != nil {
		return err
	}
	if !bytes.Equal(resp.Value, data) {
		return fmt.Errorf("echo of %d bytes came back as %d different bytes", len(data), len(resp.Value))
	}
	return nil
}

// statusOf finds the rpc status in err or in what it wraps (OversizedMessageErr wraps one).
func statusOf(err error) (*status.Status, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if st, ok := status.FromError(e); ok {
			return st, true
		}
	}
	return nil, false
}

func expectCode(err error, code codes.Code, message string) error {
	st, ok := statusOf(err)
	if !ok || err == nil {
		return fmt.Errorf("expected status %v %q, got %v", code, message, err)
	}
	if st.Code() != code || (message != "" && st.Message() != message) {
		return fmt.Errorf("expected status %v %q, got %v %q", code, message, st.Code(), st.Message())
	}
	return nil
}

func payloadOver(ctx context.Context, c *ttrpc.Client) error {
	var resp wrapperspb.BytesValue
	err := c.Call(ctx, service, "Echo", wrapperspb.Bytes(make([]byte, maxMessage+1)), &resp)
	if err := expectCode(err, codes.ResourceExhausted, ""); err != nil {
		return err
	}
	return echo(ctx, c, []byte("still connected"))
}

func oversizeReply(ctx context.Context, c *ttrpc.Client) error {
	var resp wrapperspb.BytesValue
	err := c.Call(ctx, service, "Sized", wrapperspb.Int64(maxMessage+1), &resp)
	if err := expectCode(err, codes.ResourceExhausted, ""); err != nil {
		return err
	}
	return echo(ctx, c, []byte("still connected"))
}

func concurrent(ctx context.Context, c *ttrpc.Client) error {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- echo(ctx, c, []byte(fmt.Sprintf("caller-%d-%s", i, bytes.Repeat([]byte{'x'}, i*1000))))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func metadata(ctx context.Context, c *ttrpc.Client) error {
	md := ttrpc.MD{}
	md.Set("containerd-namespace-ttrpc", "default")
	md.Append("multi", "a", "b")
	ctx = ttrpc.WithMetadata(ctx, md)
	for key, want := range map[string]string{"containerd-namespace-ttrpc": "default", "multi": "a,b", "absent": ""} {
		var resp wrapperspb.StringValue
		if err := c.Call(ctx, service, "Metadata", wrapperspb.String(key), &resp); err != nil {
			return err
		}
		if resp.Value != want {
			return fmt.Errorf("metadata %q: want %q, got %q", key, want, resp.Value)
		}
	}
	return nil
}

func errorStatus(ctx context.Context, c *ttrpc.Client) error {
	for _, code := range []codes.Code{codes.NotFound, codes.FailedPrecondition, codes.AlreadyExists, codes.InvalidArgument} {
		var resp wrapperspb.StringValue
		err := c.Call(ctx, service, "Fail", wrapperspb.String(strconv.Itoa(int(code))+":no such thing: c1"), &resp)
		if err := expectCode(err, code, "no such thing: c1"); err != nil {
			return err
		}
	}
	return nil
}

func unknownService(ctx context.Context, c *ttrpc.Client) error {
	var resp wrapperspb.StringValue
	err := c.Call(ctx, "containerd.task.v9.Task", "Create", wrapperspb.String("x"), &resp)
	return expectCode(err, codes.Unimplemented, "service containerd.task.v9.Task")
}

func unknownMethod(ctx context.Context, c *ttrpc.Client) error {
	var resp wrapperspb.StringValue
	err := c.Call(ctx, service, "NoSuchMethod", wrapperspb.String("x"), &resp)
	return expectCode(err, codes.Unimplemented, "method NoSuchMethod")
}

func deadline(ctx context.Context, c *ttrpc.Client) error {
	start := time.Now()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	var resp wrapperspb.Int64Value
	err := c.Call(short, service, "Sleep", wrapperspb.Int64(10000), &resp)
	// Either the server's DEADLINE_EXCEEDED status or the client's own context expiry wins the race.
	if !errors.Is(err, context.DeadlineExceeded) {
		if err := expectCode(err, codes.DeadlineExceeded, ""); err != nil {
			return err
		}
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		return fmt.Errorf("deadline took %v", elapsed)
	}
	return echo(ctx, c, []byte("after deadline"))
}

func serverStreaming(ctx context.Context, c *ttrpc.Client) error {
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Count", wrapperspb.Int64(100))
	if err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		var msg wrapperspb.StringValue
		if err := s.RecvMsg(&msg); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if msg.Value != strconv.Itoa(i) {
			return fmt.Errorf("message %d was %q", i, msg.Value)
		}
	}
	var msg wrapperspb.StringValue
	if err := s.RecvMsg(&msg); err != io.EOF {
		return fmt.Errorf("expected EOF after 100 messages, got %v (%q)", err, msg.Value)
	}
	return nil
}

func streamError(ctx context.Context, c *ttrpc.Client) error {
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "FailAfter", wrapperspb.Int64(2))
	if err != nil {
		return err
	}
	for i := 0; i < 2; i++ {
		var msg wrapperspb.StringValue
		if err := s.RecvMsg(&msg); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	var msg wrapperspb.StringValue
	return expectCode(s.RecvMsg(&msg), codes.Aborted, "failed after 2")
}

func clientStreaming(ctx context.Context, c *ttrpc.Client) error {
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true}, service, "Concat", nil)
	if err != nil {
		return err
	}
	want := ""
	for i := 0; i < 200; i++ {
		part := strconv.Itoa(i) + ","
		want += part
		if err := s.SendMsg(wrapperspb.String(part)); err != nil {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var resp wrapperspb.StringValue
	if err := s.RecvMsg(&resp); err != nil {
		return err
	}
	if resp.Value != want {
		return fmt.Errorf("concat: want %d chars, got %q", len(want), resp.Value)
	}
	return nil
}

func bidiStreaming(ctx context.Context, c *ttrpc.Client) error {
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Chat", nil)
	if err != nil {
		return err
	}
	for i := 0; i < 50; i++ {
		if err := s.SendMsg(wrapperspb.String(strconv.Itoa(i))); err != nil {
			return err
		}
		var msg wrapperspb.StringValue
		if err := s.RecvMsg(&msg); err != nil {
			return err
		}
		if msg.Value != "echo:"+strconv.Itoa(i) {
			return fmt.Errorf("chat %d: got %q", i, msg.Value)
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var msg wrapperspb.StringValue
	if err := s.RecvMsg(&msg); err != io.EOF {
		return fmt.Errorf("expected EOF after close, got %v", err)
	}
	return nil
}
