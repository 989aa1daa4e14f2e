//! The ScyllaDB backend (in progress).
