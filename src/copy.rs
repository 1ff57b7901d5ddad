//! Moving rows between two servers with COPY: the output of `COPY ... TO STDOUT` on one connection
//! is fed, chunk by chunk as it arrives, into `COPY ... FROM STDIN` on another. Nothing is parsed
//! or held here; memory stays at a few buffers whatever the number of rows, and both servers
//! work at once (the source encodes while the destination inserts).
use anyhow::{Context, Result};
use futures_util::SinkExt;
use tokio_postgres::{Client, Transaction};

use crate::pipeline::Query;

/// Streams `copy_out` (run by `from`) into `copy_in` (run by `to`); returns the rows written.
/// If either side fails, the destination's COPY is abandoned and its transaction must roll back.
pub async fn stream(from: &Client, copy_out: &Query, to: &Transaction<'_>, copy_in: &Query) -> Result<u64> {
    let rows = from.copy_out(copy_out.sql).await.with_context(|| copy_out.failed())?;
    let mut rows = std::pin::pin!(rows);
    let sink = to.copy_in(copy_in.sql).await.with_context(|| copy_in.failed())?;
    let mut sink = std::pin::pin!(sink);
    sink.send_all(&mut rows)
        .await
        .with_context(|| format!("streaming {} into {} broke off", copy_out.name, copy_in.name))?;
    sink.as_mut().finish().await.with_context(|| copy_in.failed())
}
