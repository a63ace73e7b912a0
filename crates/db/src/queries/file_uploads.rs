//! file_uploads queries
