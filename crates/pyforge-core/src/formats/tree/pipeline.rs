//! Parsing on a thread of its own: the parser's events are recorded in batches and replayed
//! to the visitor on the caller's thread, so parsing and row building use two cores.
//!
//! Why: on a record-shaped XML file the reader thread (parse, then build rows) was the
//! bottleneck while the Parquet writer's thread idled most of the time. Handing over events
//! one by one through a channel costs more than it gains; here a batch holds a few thousand
//! events, their names, texts and attributes copied end to end into one string, and batches
//! are recycled, so the hand-over costs one copy of the text and no allocation per event.
//!
//! The visitor sees exactly the events, in the same order, that the parser reported; an error
//! of the parser is reported after the events before it, and an error of the visitor stops the
//! parser (its next hand-over fails), as in a walk on one thread.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::{Attrs, Visitor};
use crate::error::{Error, Result};

/// Text bytes after which a batch is handed over.
const BATCH_BYTES: usize = 2 << 20;
/// Events after which a batch is handed over.
const BATCH_EVENTS: usize = 65536;
/// Batches in flight between the threads.
const IN_FLIGHT: usize = 4;

/// One event, its strings as ranges of the batch's text.
enum Event {
    Document,
    Open { name: (usize, usize), attrs_text: (usize, usize), attrs: (usize, usize) },
    Text(usize, usize),
    Close,
}

#[derive(Default)]
struct Batch {
    text: String,
    /// Attribute (key end, value end) pairs, relative to their element's attribute text.
    attr_ends: Vec<(usize, usize)>,
    events: Vec<Event>,
}

impl Batch {
    fn clear(&mut self) {
        self.text.clear();
        self.attr_ends.clear();
        self.events.clear();
    }

    fn push_str(&mut self, s: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(s);
        (start, self.text.len())
    }

    /// Replay the events to `v`.
    fn replay(&self, v: &mut dyn Visitor) -> Result<()> {
        for event in &self.events {
            match *event {
                Event::Document => v.document()?,
                Event::Open { name, attrs_text, attrs } => {
                    let attrs =
                        Attrs::from_parts(&self.text[attrs_text.0..attrs_text.1], &self.attr_ends[attrs.0..attrs.1]);
                    v.open(&self.text[name.0..name.1], attrs)?
                }
                Event::Text(a, b) => v.text(&self.text[a..b]),
                Event::Close => v.close()?,
            }
        }
        Ok(())
    }
}

/// The parser thread's visitor: records events and hands full batches over.
struct Recorder {
    batch: Batch,
    full: SyncSender<Batch>,
    empty: Receiver<Batch>,
}

impl Recorder {
    fn hand_over_if_full(&mut self) -> Result<()> {
        if self.batch.text.len() >= BATCH_BYTES || self.batch.events.len() >= BATCH_EVENTS {
            self.hand_over()?;
        }
        Ok(())
    }

    fn hand_over(&mut self) -> Result<()> {
        let mut next = self.empty.try_recv().unwrap_or_default();
        next.clear();
        let batch = std::mem::replace(&mut self.batch, next);
        // The visitor's side has stopped (it failed): stop parsing. Its error is the one
        // reported, so this one is never seen.
        self.full.send(batch).map_err(|_| Error::InvalidOption("the row builder stopped".into()))
    }
}

impl Visitor for Recorder {
    fn document(&mut self) -> Result<()> {
        self.batch.events.push(Event::Document);
        self.hand_over_if_full()
    }

    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        let name = self.batch.push_str(name);
        let (text, ends) = attrs.parts();
        let attrs_text = self.batch.push_str(text);
        let first = self.batch.attr_ends.len();
        self.batch.attr_ends.extend_from_slice(ends);
        let attrs = (first, self.batch.attr_ends.len());
        self.batch.events.push(Event::Open { name, attrs_text, attrs });
        self.hand_over_if_full()
    }

    fn text(&mut self, text: &str) {
        let (a, b) = self.batch.push_str(text);
        self.batch.events.push(Event::Text(a, b));
        // A text event cannot fail: the hand-over waits for the next event (or the end).
    }

    fn close(&mut self) -> Result<()> {
        self.batch.events.push(Event::Close);
        self.hand_over_if_full()
    }
}

/// Run `walk` (a parser reporting to the visitor it is given) on a thread of its own and
/// replay its events to `v` on this thread. Gives the visitor's error if it failed, else the
/// parser's result.
///
/// ```
/// use pyforge_core::formats::tree::{pipeline::walk_pipelined, Attrs, Visitor};
/// struct Count(usize);
/// impl Visitor for Count {
///     fn document(&mut self) -> pyforge_core::Result<()> { Ok(()) }
///     fn open(&mut self, _: &str, _: Attrs<'_>) -> pyforge_core::Result<()> { self.0 += 1; Ok(()) }
///     fn text(&mut self, _: &str) {}
///     fn close(&mut self) -> pyforge_core::Result<()> { Ok(()) }
/// }
/// let mut count = Count(0);
/// walk_pipelined(|v| { for _ in 0..3 { v.open("a", Attrs::NONE)?; v.close()?; } Ok(()) }, &mut count).unwrap();
/// assert_eq!(count.0, 3);
/// ```
pub fn walk_pipelined(walk: impl FnOnce(&mut dyn Visitor) -> Result<()> + Send, v: &mut dyn Visitor) -> Result<()> {
    let (full_tx, full_rx) = sync_channel::<Batch>(IN_FLIGHT);
    let (empty_tx, empty_rx) = sync_channel::<Batch>(IN_FLIGHT + 2);
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new().name("pyforge-parse".into()).spawn_scoped(scope, move || {
            crate::panic_guard::catch(move || {
                let mut recorder = Recorder { batch: Batch::default(), full: full_tx, empty: empty_rx };
                let walked = walk(&mut recorder);
                // The events before the end (or before the parser's error) are replayed
                // first; a failed hand-over means the visitor failed, and its error wins.
                let handed = recorder.hand_over();
                walked.and(handed)
            })
        });
        let parser = match parser {
            Ok(p) => p,
            Err(e) => return Err(Error::InvalidOption(format!("cannot start the parser thread: {e}"))),
        };
        let mut replayed = Ok(());
        for batch in &full_rx {
            replayed = batch.replay(v);
            if replayed.is_err() {
                break;
            }
            let _ = empty_tx.try_send(batch);
        }
        // Unblock a parser waiting to hand a batch over: it stops at its next hand-over.
        drop(full_rx);
        let parsed = match parser.join() {
            Ok(Ok(result)) => result,
            Ok(Err(why)) => {
                Err(Error::InvalidOption(format!("internal error: the parser stopped unexpectedly ({why})")))
            }
            Err(_) => Err(Error::InvalidOption("internal error: the parser thread died".into())),
        };
        replayed.and(parsed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event as text.
    #[derive(Default)]
    struct Log(Vec<String>, Option<usize>);

    impl Visitor for Log {
        fn document(&mut self) -> Result<()> {
            self.0.push("doc".into());
            Ok(())
        }
        fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
            if self.1 == Some(self.0.len()) {
                return Err(Error::SampleFull);
            }
            let a: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.0.push(format!("<{name} {}>", a.join(" ")));
            Ok(())
        }
        fn text(&mut self, text: &str) {
            self.0.push(format!("'{text}'"));
        }
        fn close(&mut self) -> Result<()> {
            self.0.push("/".into());
            Ok(())
        }
    }

    /// A parser of `n` records with attributes and text, failing at the end if `fail`.
    fn parse(n: usize, fail: bool) -> impl FnOnce(&mut dyn Visitor) -> Result<()> + Send {
        move |v: &mut dyn Visitor| {
            v.document()?;
            v.open("root", Attrs::NONE)?;
            let mut buf = crate::formats::tree::AttrBuf::default();
            for i in 0..n {
                buf.clear();
                buf.push::<()>("id", |s| {
                    let _: () = s.push_str(&i.to_string());
                    Ok(())
                })
                .unwrap();
                buf.push::<()>("kind", |s| {
                    let _: () = s.push_str(if i % 2 == 0 { "even" } else { "odd" });
                    Ok(())
                })
                .unwrap();
                v.open("record", buf.attrs())?;
                v.text(&"x".repeat(i % 50));
                v.close()?;
            }
            if fail {
                return Err(Error::InvalidOption("malformed at the end".into()));
            }
            v.close()
        }
    }

    #[test]
    fn the_visitor_sees_the_events_of_a_walk_on_one_thread() {
        for n in [0, 1, 5000, 40_000] {
            let mut direct = Log::default();
            parse(n, false)(&mut direct).unwrap();
            let mut piped = Log::default();
            walk_pipelined(parse(n, false), &mut piped).unwrap();
            assert_eq!(piped.0, direct.0, "{n} records");
        }
    }

    #[test]
    fn errors_come_in_order_the_visitors_first() {
        // The parser's error, after every event before it.
        let mut piped = Log::default();
        let e = walk_pipelined(parse(30_000, true), &mut piped).unwrap_err();
        assert!(e.to_string().contains("malformed at the end"), "{e}");
        assert_eq!(piped.0.len(), 2 + 30_000 * 3);
        // The visitor's error stops the parser and is the one reported.
        // (The 6,667th record opens after 2 + 3 × 6,666 = 20,000 events.)
        let mut piped = Log(Vec::new(), Some(20_000));
        let e = walk_pipelined(parse(30_000, true), &mut piped).unwrap_err();
        assert!(matches!(e, Error::SampleFull), "{e}");
        assert_eq!(piped.0.len(), 20_000);
    }
}
