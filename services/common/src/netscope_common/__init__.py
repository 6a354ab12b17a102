"""netscope service kit: settings, gRPC server bootstrap, interceptors, clients and the CLI."""
