//! The bookings CSV export (`/admin/bookings.csv`, `/v1/admin/bookings.csv`):
//! the table's filters and order, every page, streamed.
//!
//! The export never holds a database connection while it waits on the
//! client. It reads keyset pages of `PAGE_ROWS` bookings, each on a read
//! connection that goes back to the pool before the page is handed on, so a
//! client that stops reading (a phone that lost signal, a stalled download)
//! pins nothing but its own buffered page. A client that takes nothing for
//! `STALL_DEADLINE` is given up on. Rows changed during a long download may
//! appear at their old or their new place: the pages are not one snapshot.

use std::{
    sync::Arc,
    task::{Poll, ready},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::manage::{self, Cursor, Filter};
use super::repo::Booking;
use super::slots::fmt_time;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppResult;
use crate::state::AppState;

/// Bookings per database read: about 100 KB of CSV.
const PAGE_ROWS: usize = 500;

/// How long a page may wait for the client to take it before the export is
/// dropped (a client on slow mobile data still takes something long before).
const STALL_DEADLINE: Duration = Duration::from_secs(30);

const HEADER: [&str; 13] = [
    "booking_ref",
    "status",
    "preferred_date",
    "preferred_time",
    "service_type",
    "customer_name",
    "customer_phone",
    "customer_email",
    "vehicle_reg",
    "notes",
    "admin_note",
    "sms_enabled",
    "created_at",
];

/// The streamed CSV of every booking matching `filter`, in its order.
///
/// The first page is read before answering, so a database failure at the
/// start is an ordinary error response rather than a cut-off download.
pub async fn response(state: &AppState, filter: Filter) -> AppResult<Response> {
    let (db, config, filter) = (state.db.clone(), state.config.clone(), Arc::new(filter));
    let first = read_page(&db, &config, &filter, None).await?;
    // One page buffered ahead of the client is enough to keep it busy.
    let (tx, rx) = mpsc::channel(1);
    let next_page = move |after| {
        let (db, config, filter) = (db.clone(), config.clone(), filter.clone());
        async move { read_page(&db, &config, &filter, Some(after)).await }
    };
    tokio::spawn(
        async move {
            match pump(&tx, first, next_page, STALL_DEADLINE).await {
                Ok(()) => {}
                // Closing a download early is the client's choice, not a fault.
                Err(Stop::ClientGone) => tracing::debug!("CSV export closed early by the client"),
                Err(Stop::Stalled) => tracing::info!(
                    deadline_secs = STALL_DEADLINE.as_secs(),
                    "CSV export dropped: the client took nothing before the deadline"
                ),
                Err(Stop::Failed(e)) => {
                    tracing::error!(error = format!("{e:#}"), "CSV export failed")
                }
            }
        }
        .instrument(tracing::Span::current()),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"bookings.csv\"",
            ),
        ],
        body(rx),
    )
        .into_response())
}

/// One page of CSV and where the next page starts (`None` after the last).
struct Page<C> {
    csv: Bytes,
    next: Option<C>,
}

/// Reads and renders one page on a read connection, which goes back to the
/// pool as soon as the page is rendered.
async fn read_page(
    db: &Db,
    config: &Arc<Config>,
    filter: &Arc<Filter>,
    after: Option<Cursor>,
) -> anyhow::Result<Page<Cursor>> {
    let (config, filter) = (config.clone(), filter.clone());
    db.read(move |c| {
        let (rows, next) = manage::page_after(c, &filter, after.as_ref(), PAGE_ROWS)?;
        let csv = render(&config, after.is_none(), &rows)?;
        Ok(Page { csv, next })
    })
    .await
}

/// The CSV lines of `rows`, after the header line when `header` is set.
fn render(config: &Config, header: bool, rows: &[Booking]) -> anyhow::Result<Bytes> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(HEADER)?;
    }
    for b in rows {
        let date = b.preferred_date.to_string();
        let time = fmt_time(b.preferred_time);
        let record = [
            b.booking_ref.as_str(),
            b.status.as_str(),
            &date,
            &time,
            b.service_type.label(config),
            &b.customer_name,
            &b.customer_phone,
            b.customer_email.as_deref().unwrap_or(""),
            b.vehicle_reg.as_deref().unwrap_or(""),
            &b.notes,
            &b.admin_note,
            if b.sms_enabled { "yes" } else { "no" },
            &b.created_at,
        ];
        for cell in record {
            w.write_field(&*neutralise(cell))?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?.into())
}

/// A spreadsheet would run a cell that starts with one of these as a formula.
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// What travels from the export task to the response body.
enum Part {
    Csv(Bytes),
    /// The whole export was sent; anything else ending the channel is a failure.
    End,
}

/// Why an export ended before its last page.
#[derive(Debug)]
enum Stop {
    /// The response body was dropped: the client closed the connection.
    ClientGone,
    /// The client took nothing for the whole deadline.
    Stalled,
    Failed(anyhow::Error),
}

/// Hands `first` and each following page to the body, waiting at most
/// `deadline` for the client to take each one. Nothing here holds a database
/// connection while it waits: `next_page` reads and releases one per page.
async fn pump<C, F, Fut>(
    tx: &mpsc::Sender<Part>,
    first: Page<C>,
    mut next_page: F,
    deadline: Duration,
) -> Result<(), Stop>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = anyhow::Result<Page<C>>>,
{
    let mut page = first;
    loop {
        if !page.csv.is_empty() {
            send(tx, Part::Csv(page.csv), deadline).await?;
        }
        match page.next {
            Some(after) => page = next_page(after).await.map_err(Stop::Failed)?,
            None => return send(tx, Part::End, deadline).await,
        }
    }
}

async fn send(tx: &mpsc::Sender<Part>, part: Part, deadline: Duration) -> Result<(), Stop> {
    match tokio::time::timeout(deadline, tx.send(part)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Stop::ClientGone),
        Err(_) => Err(Stop::Stalled),
    }
}

/// The response body: the pages as they come, then a clean end only after
/// `Part::End`. If the export task stops early (stalled, failed, panicked),
/// the body ends in an error, so hyper cuts the connection and the client
/// sees an incomplete download rather than a short file that looks whole.
///
/// After its end the stream keeps answering `None`. tower-http's
/// `CompressionLayer` polls the inner body once more after its encoder has
/// read it to the end (to collect trailers), and the `stream::unfold` this
/// replaces panics when polled after it returned `None`: every gzip or br
/// export panicked in hyper's connection task and the download stopped
/// without its final chunk.
fn body(mut rx: mpsc::Receiver<Part>) -> Body {
    let mut ended = false;
    Body::from_stream(futures_util::stream::poll_fn(move |cx| {
        if ended {
            return Poll::Ready(None);
        }
        match ready!(rx.poll_recv(cx)) {
            Some(Part::Csv(csv)) => Poll::Ready(Some(Ok(csv))),
            Some(Part::End) => {
                ended = true;
                Poll::Ready(None)
            }
            None => {
                ended = true;
                Poll::Ready(Some(Err(std::io::Error::other(
                    "the CSV export stopped before its end",
                ))))
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+265991234567"), "'+265991234567");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert_eq!(neutralise("Banda"), "Banda");
        assert_eq!(neutralise(""), "");
    }

    fn page(text: &'static str, next: Option<u32>) -> Page<u32> {
        Page {
            csv: Bytes::from_static(text.as_bytes()),
            next,
        }
    }

    /// Three pages: "a", "b", "c".
    async fn pages(after: u32) -> anyhow::Result<Page<u32>> {
        Ok(match after {
            1 => page("b", Some(2)),
            _ => page("c", None),
        })
    }

    async fn collect(body: Body) -> (Vec<u8>, Option<String>) {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => bytes.extend_from_slice(&c),
                Err(e) => return (bytes, Some(e.to_string())),
            }
        }
        (bytes, None)
    }

    #[tokio::test]
    async fn every_page_arrives_then_a_clean_end() {
        let (tx, rx) = mpsc::channel(1);
        let task =
            tokio::spawn(async move { pump(&tx, page("a", Some(1)), pages, STALL_DEADLINE).await });
        assert_eq!(collect(body(rx)).await, (b"abc".to_vec(), None));
        assert!(task.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn the_ended_body_keeps_answering_none() {
        let (tx, rx) = mpsc::channel(1);
        tx.send(Part::End).await.unwrap();
        let mut stream = body(rx).into_data_stream();
        for _ in 0..3 {
            assert!(stream.next().await.is_none());
        }
    }

    #[tokio::test]
    async fn an_export_that_stops_early_ends_the_body_in_an_error() {
        let (tx, rx) = mpsc::channel(1);
        let failing = |_| async { Err::<Page<u32>, _>(anyhow::anyhow!("disk I/O error")) };
        let task =
            tokio::spawn(
                async move { pump(&tx, page("a", Some(1)), failing, STALL_DEADLINE).await },
            );
        let (bytes, error) = collect(body(rx)).await;
        assert_eq!(bytes, b"a");
        assert!(error.is_some());
        assert!(matches!(task.await.unwrap(), Err(Stop::Failed(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_takes_nothing_is_dropped_at_the_deadline() {
        let (tx, _rx) = mpsc::channel(1);
        let started = tokio::time::Instant::now();
        let result = pump(&tx, page("a", Some(1)), pages, STALL_DEADLINE).await;
        assert!(matches!(result, Err(Stop::Stalled)), "{result:?}");
        // "a" fills the channel; "b" waits out the deadline.
        assert_eq!(started.elapsed(), STALL_DEADLINE);
    }

    #[tokio::test]
    async fn a_client_that_closes_early_stops_the_export() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let result = pump(&tx, page("a", Some(1)), pages, STALL_DEADLINE).await;
        assert!(matches!(result, Err(Stop::ClientGone)), "{result:?}");
    }
}
