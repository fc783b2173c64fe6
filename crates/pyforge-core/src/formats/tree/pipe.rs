//! Parsing on one thread, visiting on another: [`walk_piped`] runs the input's parser on a
//! thread of its own and replays its events into the visitor here, so parsing (quick-xml,
//! decoding, entities) overlaps with building rows.
//!
//! Events travel in chunks: names, attributes and text copied end to end into one string per
//! chunk, so the queue costs a copy but no allocation per event.

use std::ops::Range;
use std::sync::mpsc::{sync_channel, SyncSender};

use super::{AttrBuf, Attrs, TreeInput, Visitor};
use crate::error::{Error, Result};

/// Events per chunk.
const CHUNK_EVENTS: usize = 16 * 1024;

enum Event {
    Document,
    Open { name: Range<usize>, attrs: Range<usize> },
    Text(Range<usize>),
    Close,
}

#[derive(Default)]
struct Chunk {
    text: String,
    /// (key, value) ranges into `text`.
    attrs: Vec<(Range<usize>, Range<usize>)>,
    events: Vec<Event>,
}

impl Chunk {
    fn push_str(&mut self, s: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(s);
        start..self.text.len()
    }
}

/// The parser side: records events and sends them in chunks.
struct Recorder {
    chunk: Chunk,
    tx: SyncSender<Chunk>,
    /// The visitor side stopped (it failed): the parser must stop too.
    gone: bool,
}

impl Recorder {
    fn event(&mut self, e: Event) -> Result<()> {
        self.chunk.events.push(e);
        if self.chunk.events.len() >= CHUNK_EVENTS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let chunk = std::mem::take(&mut self.chunk);
        if self.tx.send(chunk).is_err() {
            self.gone = true;
            // Only stops the walk; the visitor's own error is the one reported.
            return Err(Error::InvalidOption("the row builder stopped".into()));
        }
        Ok(())
    }
}

impl Visitor for Recorder {
    fn document(&mut self) -> Result<()> {
        self.event(Event::Document)
    }
    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        let name = self.chunk.push_str(name);
        let first = self.chunk.attrs.len();
        for (k, v) in attrs.iter() {
            let k = self.chunk.push_str(k);
            let v = self.chunk.push_str(v);
            self.chunk.attrs.push((k, v));
        }
        let attrs = first..self.chunk.attrs.len();
        self.event(Event::Open { name, attrs })
    }
    fn text(&mut self, text: &str) {
        let r = self.chunk.push_str(text);
        self.chunk.events.push(Event::Text(r));
    }
    fn close(&mut self) -> Result<()> {
        self.event(Event::Close)
    }
}

/// Walk `input` on a parser thread and replay its events into `visitor` on this one. The
/// result is the visitor's first error, else the parser's, else `Ok`.
pub fn walk_piped(input: &dyn TreeInput, visitor: &mut dyn Visitor) -> Result<()> {
    let (tx, rx) = sync_channel::<Chunk>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut rec = Recorder { chunk: Chunk::default(), tx, gone: false };
            let walked = input.walk(&mut rec);
            match walked {
                Ok(()) => rec.flush().map(|_| false),
                Err(_) if rec.gone => Ok(true),
                Err(e) => {
                    // Events before the failure first, then the failure.
                    let _ = rec.flush();
                    Err(e)
                }
            }
        });
        let mut attrs = AttrBuf::default();
        let mut replayed: Result<()> = Ok(());
        'chunks: for chunk in rx.iter() {
            for e in &chunk.events {
                let r = match e {
                    Event::Document => visitor.document(),
                    Event::Open { name, attrs: span } => {
                        let pairs = &chunk.attrs[span.clone()];
                        attrs.clear();
                        for (kr, vr) in pairs {
                            let _ = attrs.push(&chunk.text[kr.clone()], |out| {
                                out.push_str(&chunk.text[vr.clone()]);
                                Ok::<(), ()>(())
                            });
                        }
                        visitor.open(&chunk.text[name.clone()], attrs.attrs())
                    }
                    Event::Text(r) => {
                        visitor.text(&chunk.text[r.clone()]);
                        Ok(())
                    }
                    Event::Close => visitor.close(),
                };
                if let Err(e) = r {
                    replayed = Err(e);
                    break 'chunks;
                }
            }
        }
        drop(rx); // a parser waiting to send stops
        let parsed = parser.join().unwrap_or_else(|_| Err(Error::InvalidOption("internal error: the parser thread stopped unexpectedly".into())));
        replayed?;
        parsed.map(|_| ())
    })
}
