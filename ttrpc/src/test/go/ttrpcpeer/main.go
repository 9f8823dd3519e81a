// ttrpcpeer is the reference side of jvmm's ttrpc interop tests and benchmarks, built on the
// containerd/ttrpc Go package from Debian.
//
//	ttrpcpeer server <socket>              serve jvmm.interop.v1.Echo until stdin closes or SIGTERM
//	ttrpcpeer client <socket> <scenario>   run one scenario against a server; prints "ok <scenario>"
//	ttrpcpeer bench <socket> <mode> <callers> <size> <seconds>   load generator (see bench.go)
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"context"

	"github.com/containerd/ttrpc"
)

const service = "jvmm.interop.v1.Echo"

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ttrpcpeer server|client|bench <socket> ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = serve(os.Args[2])
	case "client":
		if len(os.Args) < 4 {
			err = fmt.Errorf("client needs a scenario")
			break
		}
		err = runScenario(os.Args[2], os.Args[3])
		if err == nil {
			fmt.Println("ok", os.Args[3])
		}
	case "bench":
		err = bench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func serve(path string) error {
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	s, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	s.RegisterService(service, echoService())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		s.Close()
	}()
	fmt.Println("listening", path)
	err = s.Serve(ctx, l)
	if err == ttrpc.ErrServerClosed {
		return nil
	}
	return err
}
