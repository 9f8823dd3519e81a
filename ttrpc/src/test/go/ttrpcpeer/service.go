package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// echoService is the same service the Java side implements in InteropService.java.
func echoService() *ttrpc.ServiceDesc {
	return &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{
			"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				var req wrapperspb.BytesValue
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				return &req, nil
			},
			"Metadata": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				var req wrapperspb.StringValue
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				md, _ := ttrpc.GetMetadata(ctx)
				values, _ := md.Get(req.Value)
				return wrapperspb.String(strings.Join(values, ",")), nil
			},
			"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				var req wrapperspb.StringValue
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				code, msg, _ := strings.Cut(req.Value, ":")
				n, err := strconv.Atoi(code)
				if err != nil {
					return nil, err
				}
				return nil, status.Error(codes.Code(n), msg)
			},
			"Sleep": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				var req wrapperspb.Int64Value
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				select {
				case <-time.After(time.Duration(req.Value) * time.Millisecond):
					return &req, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			},
			"Sized": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				var req wrapperspb.Int64Value
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				return wrapperspb.Bytes(make([]byte, req.Value)), nil
			},
		},
		Streams: map[string]ttrpc.Stream{
			"Count": {
				StreamingServer: true,
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					var req wrapperspb.Int64Value
					if err := ss.RecvMsg(&req); err != nil {
						return nil, err
					}
					for i := int64(0); i < req.Value; i++ {
						if err := ss.SendMsg(wrapperspb.String(strconv.FormatInt(i, 10))); err != nil {
							return nil, err
						}
					}
					return nil, nil
				},
			},
			"FailAfter": {
				StreamingServer: true,
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					var req wrapperspb.Int64Value
					if err := ss.RecvMsg(&req); err != nil {
						return nil, err
					}
					for i := int64(0); i < req.Value; i++ {
						if err := ss.SendMsg(wrapperspb.String(strconv.FormatInt(i, 10))); err != nil {
							return nil, err
						}
					}
					return nil, status.Error(codes.Aborted, fmt.Sprintf("failed after %d", req.Value))
				},
			},
			"Concat": {
				StreamingClient: true,
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					var sb strings.Builder
					for {
						var msg wrapperspb.StringValue
						if err := ss.RecvMsg(&msg); err != nil {
							if err.Error() == "EOF" {
								return wrapperspb.String(sb.String()), nil
							}
							return nil, err
						}
						sb.WriteString(msg.Value)
					}
				},
			},
			"Chat": {
				StreamingClient: true,
				StreamingServer: true,
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					for {
						var msg wrapperspb.StringValue
						if err := ss.RecvMsg(&msg); err != nil {
							if err.Error() == "EOF" {
								return nil, nil
							}
							return nil, err
						}
						if err := ss.SendMsg(wrapperspb.String("echo:" + msg.Value)); err != nil {
							return nil, err
						}
					}
				},
			},
		},
	}
}
