"""The gRPC server: servicers, the auth interceptor, health, reflection and ``serve``."""
