//! Durable background jobs for Tessera, in the database it already has (SQLite or PostgreSQL).
//!
//! - [`queue`]: enqueue a job inside the caller's transaction; read its status, progress,
//!   result and error; cancel it; remove old finished ones.
//! - [`worker`]: claim due jobs under a lease (fenced by owner and attempt), keep the lease
//!   alive with heartbeats, retry with exponential backoff, record each run's end.
//! - [`supervisor`]: one owner for a process's workers and maintenance loops.
//!
//! Why not a crate such as `apalis-sql`: a job must be enqueued in the same SeaORM transaction
//! as the write that calls for it, and on SQLite every write must pass Tessera's writer gate
//! (`tessera_db::Db::write`); queues that bring their own sqlx pool and transactions can do
//! neither. See ARCHITECTURE.md.

mod clock;
mod lease;
pub mod queue;
pub mod supervisor;
pub mod worker;

pub use queue::{Enqueued, Job, JobStatus, NewJob};
pub use supervisor::Supervisor;
pub use worker::{Done, JobContext, JobError, Registry, WorkerConfig};
