//! EventStoreDB backend (in progress).
