//! Moving rows between two servers with COPY: the output of `COPY ... TO STDOUT` on one connection
//! is fed, chunk by chunk as it arrives, into `COPY ... FROM STDIN` on another. Nothing is parsed
//! or held here; memory stays at a few buffers whatever the number of rows, and both servers
//! work at once (the source encodes while the destination inserts).
use anyhow::{Context, Result};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio_postgres::{Client, Transaction};

use crate::progress::Rows;
use crate::queries::Query;

/// The server sends one message per row. COPY's input is a byte stream whose message boundaries
/// mean nothing, so rows already received are passed on together, up to this many at a time.
const ROWS_PER_MESSAGE: usize = 1024;

/// Streams `copy_out` (run by `from`) into `copy_in` (run by `to`); returns the rows written and
/// counts them in `progress` as they pass. If either side fails, the destination's COPY is
/// abandoned and its transaction must roll back.
pub async fn stream(
    from: &Client,
    copy_out: &Query,
    to: &Transaction<'_>,
    copy_in: &Query,
    progress: &Rows,
) -> Result<u64> {
    stream_statement(from, copy_out.sql, copy_out.name, to, copy_in, progress).await
}

/// Like [`stream`], for a COPY statement built at run time (by the server, see
/// queries/pipeline/02_full_rental_shadow.out.sql).
pub async fn stream_statement(
    from: &Client,
    copy_out: &str,
    copy_out_name: &str,
    to: &Transaction<'_>,
    copy_in: &Query,
    progress: &Rows,
) -> Result<u64> {
    let rows =
        from.copy_out(copy_out).await.with_context(|| format!("{copy_out_name} failed on the source"))?;
    let mut batches = std::pin::pin!(rows.ready_chunks(ROWS_PER_MESSAGE).map(|chunk| {
        // The server sends one message per row, and the binary format's trailer (a field count of
        // -1: two bytes) as one more; rows carry at least their own two-byte field count.
        progress
            .add(chunk.iter().filter(|message| message.as_ref().is_ok_and(|row| row.len() != 2)).count()
                as u64);
        let mut batch =
            BytesMut::with_capacity(chunk.iter().map(|row| row.as_ref().map_or(0, Bytes::len)).sum());
        for row in chunk {
            batch.extend_from_slice(&row?);
        }
        Ok::<Bytes, tokio_postgres::Error>(batch.freeze())
    }));
    let sink = to.copy_in(copy_in.sql).await.with_context(|| copy_in.failed())?;
    let mut sink = std::pin::pin!(sink);
    sink.send_all(&mut batches)
        .await
        .with_context(|| format!("streaming {copy_out_name} into {} broke off", copy_in.name))?;
    sink.as_mut().finish().await.with_context(|| copy_in.failed())
}
