//! tasks queries
