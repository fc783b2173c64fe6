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

impl Visitor for Batch {
    fn document(&mut self) -> Result<()> {
        self.events.push(Event::Document);
        Ok(())
    }

    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        let name = self.push_str(name);
        let (text, ends) = attrs.parts();
        let attrs_text = self.push_str(text);
        let first = self.attr_ends.len();
        self.attr_ends.extend_from_slice(ends);
        let attrs = (first, self.attr_ends.len());
        self.events.push(Event::Open { name, attrs_text, attrs });
        Ok(())
    }

    fn text(&mut self, text: &str) {
        let (a, b) = self.push_str(text);
        self.events.push(Event::Text(a, b));
    }

    fn close(&mut self) -> Result<()> {
        self.events.push(Event::Close);
        Ok(())
    }
}

impl Visitor for Recorder {
    fn document(&mut self) -> Result<()> {
        self.batch.document()?;
        self.hand_over_if_full()
    }

    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        self.batch.open(name, attrs)?;
        self.hand_over_if_full()
    }

    fn text(&mut self, text: &str) {
        // A text event cannot fail: the hand-over waits for the next event (or the end).
        self.batch.text(text);
    }

    fn close(&mut self) -> Result<()> {
        self.batch.close()?;
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

/// What parsing one chunk gave: its events, and the error that ended it early, if any.
type Recorded = (Batch, Result<()>);

/// Parse independent chunks of one input (lines of JSON Lines) on every core and replay their
/// events to `v` in input order on this thread, so the visitor sees exactly what one parser
/// walking the chunks one after the other would have reported.
///
/// `chunks` is read on a thread of its own (sequential I/O); `parse` reports one chunk's events
/// to the visitor it is given. An error of a chunk (or of reading) is reported after the events
/// of every chunk before it and of that chunk before the error; an error of `v` stops reading
/// and parsing. Memory stays bounded: at most two chunks per worker are in flight.
pub fn walk_chunks_parallel<C: Send>(
    chunks: impl Iterator<Item = Result<C>> + Send,
    parse: impl Fn(C, &mut dyn Visitor) -> Result<()> + Sync,
    v: &mut dyn Visitor,
) -> Result<()> {
    let record = |chunk: C| -> Recorded {
        let mut batch = Batch::default();
        let parsed = parse(chunk, &mut batch);
        (batch, parsed)
    };
    map_chunks_ordered(chunks, record, |(batch, parsed)| {
        batch.replay(v)?;
        parsed
    })
}

/// Run `work` on independent chunks of one input on every core and hand each answer to
/// `consume` on this thread, in input order.
///
/// `chunks` is read on a thread of its own (sequential I/O). A reading error, or a panic of
/// `work`, is handed over after the answers of the chunks before it, and ends the run; so does
/// an error of `consume`, which also stops reading and working. Memory stays bounded: at most
/// two chunks per worker are in flight.
pub fn map_chunks_ordered<C: Send, R: Send>(
    chunks: impl Iterator<Item = Result<C>> + Send,
    work: impl Fn(C) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    // Work for the workers, and each chunk's answer slot in input order for this thread.
    let (work_tx, work_rx) = crossbeam_channel::bounded::<(C, SyncSender<Result<R>>)>(workers);
    let (order_tx, order_rx) = sync_channel::<Receiver<Result<R>>>(2 * workers);
    let work = &work;
    // Everything moves into the scope's body, so that an early return drops `order_rx` and the
    // reader's next send fails instead of waiting forever (the scope joins it).
    std::thread::scope(move |scope| {
        let reader = move || {
            for chunk in chunks {
                let (answer_tx, answer_rx) = sync_channel(1);
                // Either send fails only when this thread's consumer stopped: stop reading.
                if order_tx.send(answer_rx).is_err() {
                    return;
                }
                match chunk {
                    Ok(c) => {
                        if work_tx.send((c, answer_tx)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = answer_tx.send(Err(e));
                        return;
                    }
                }
            }
        };
        let spawned = std::thread::Builder::new().name("pyforge-read".into()).spawn_scoped(scope, reader);
        if let Err(e) = spawned {
            return Err(Error::InvalidOption(format!("cannot start the reader thread: {e}")));
        }
        for _ in 0..workers {
            let work_rx = work_rx.clone();
            let worker = move || {
                for (chunk, answer) in work_rx {
                    let done = crate::panic_guard::catch(|| work(chunk)).map_err(|why| {
                        Error::InvalidOption(format!("internal error: the parser stopped unexpectedly ({why})"))
                    });
                    let _ = answer.send(done);
                }
            };
            if let Err(e) = std::thread::Builder::new().name("pyforge-parse".into()).spawn_scoped(scope, worker) {
                return Err(Error::InvalidOption(format!("cannot start a parser thread: {e}")));
            }
        }
        drop(work_rx);
        for answer in &order_rx {
            let Ok(done) = answer.recv() else {
                return Err(Error::InvalidOption("internal error: a parser thread died".into()));
            };
            consume(done?)?;
        }
        Ok(())
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

    /// Chunk `c` of the parallel walk: `c % 7 + 1` records, failing after its first if `c == fail`.
    fn chunk_events(c: usize, fail: Option<usize>, v: &mut dyn Visitor) -> Result<()> {
        for i in 0..c % 7 + 1 {
            v.open("record", Attrs::NONE)?;
            v.text(&format!("{c}.{i}"));
            v.close()?;
            if Some(c) == fail {
                return Err(Error::InvalidOption(format!("chunk {c} is malformed")));
            }
        }
        Ok(())
    }

    #[test]
    fn chunks_parsed_in_parallel_replay_in_input_order() {
        let chunks = || (0..500).map(Ok);
        let mut direct = Log::default();
        for c in chunks() {
            chunk_events(c.unwrap(), None, &mut direct).unwrap();
        }
        let mut parallel = Log::default();
        walk_chunks_parallel(chunks(), |c, v| chunk_events(c, None, v), &mut parallel).unwrap();
        assert_eq!(parallel.0, direct.0);
    }

    #[test]
    fn a_chunk_error_comes_after_the_events_before_it_and_a_visitor_error_stops_the_walk() {
        let mut parallel = Log::default();
        let e =
            walk_chunks_parallel((0..500).map(Ok), |c, v| chunk_events(c, Some(300), v), &mut parallel).unwrap_err();
        assert!(e.to_string().contains("chunk 300 is malformed"), "{e}");
        let mut direct = Log::default();
        let _ = (0..=300).try_for_each(|c| chunk_events(c, Some(300), &mut direct));
        assert_eq!(parallel.0, direct.0, "every event before the error, none after");
        // A reading error is reported in its place too.
        let chunks = (0..100).map(|c| if c == 40 { Err(Error::InvalidOption("unreadable".into())) } else { Ok(c) });
        let mut parallel = Log::default();
        let e = walk_chunks_parallel(chunks, |c, v| chunk_events(c, None, v), &mut parallel).unwrap_err();
        assert!(e.to_string().contains("unreadable"), "{e}");
        let mut direct = Log::default();
        (0..40).for_each(|c| chunk_events(c, None, &mut direct).unwrap());
        assert_eq!(parallel.0, direct.0, "the chunks before the unreadable one, whole");
        // The visitor's error (at its 3,000th event) ends the walk, however many chunks remain.
        let mut parallel = Log(Vec::new(), Some(3_000));
        let e = walk_chunks_parallel((0..100_000).map(Ok), |c, v| chunk_events(c, None, v), &mut parallel).unwrap_err();
        assert!(matches!(e, Error::SampleFull), "{e}");
        assert_eq!(parallel.0.len(), 3_000);
    }
}
