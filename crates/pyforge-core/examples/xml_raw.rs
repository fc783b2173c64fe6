use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufReader;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let f = std::fs::File::open(&path).unwrap();
    let mut r = Reader::from_reader(BufReader::with_capacity(1 << 20, f));
    r.config_mut().check_end_names = true;
    let mut buf = Vec::with_capacity(1 << 16);
    let (mut n, mut bytes) = (0u64, 0usize);
    loop {
        buf.clear();
        match r.read_event_into(&mut buf).unwrap() {
            Event::Eof => break,
            Event::Start(e) => { n += 1; for a in e.html_attributes() { bytes += a.unwrap().value.len(); } }
            Event::Text(t) => { bytes += t.xml10_content().len(); }
            _ => n += 1,
        }
    }
    println!("buffered: {n} events {bytes} in {:?}", t.elapsed());
    let t = Instant::now();
    let s = std::fs::read_to_string(&path).unwrap();
    println!("read_to_string {:?}", t.elapsed());
    let t = Instant::now();
    let mut r = Reader::from_str(&s);
    r.config_mut().check_end_names = true;
    let (mut n, mut bytes) = (0u64, 0usize);
    loop {
        match r.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) => { n += 1; for a in e.html_attributes() { bytes += a.unwrap().value.len(); } }
            Event::Text(t) => { bytes += t.xml10_content().len(); }
            _ => n += 1,
        }
    }
    println!("slice: {n} events {bytes} in {:?}", t.elapsed());
}
