//! The distributed backend on NATS JetStream (next step).
