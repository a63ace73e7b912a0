//! predictions queries
