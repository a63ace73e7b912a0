//! The job queue against a real database: a temp SQLite file, or a fresh PostgreSQL schema
//! when `TEST_DATABASE_URL` is set.

mod crash;
mod harness;
mod instances;
mod queue;
mod runs;
