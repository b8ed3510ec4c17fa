/**
 * The gRPC status codes Firebreak reads off Temporal's answers, in one place (the SDK does not export
 * gRPC's `status`, and `@grpc/grpc-js` is not a dependency of ours).
 */
export const GRPC_STATUS = {
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  UNAVAILABLE: 14,
} as const;
