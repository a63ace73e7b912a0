//! annotations queries
