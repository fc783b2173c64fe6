//! Whole-file compression of text inputs (.gz, .bz2, .zst), recognised by magic bytes.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};

/// Compression of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Zstd,
}

impl Compression {
    /// Recognise the compression from the first bytes of a file.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1F, 0x8B]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") && head.len() >= 4 && head[3].is_ascii_digit() {
            Compression::Bzip2
        } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// Name shown by `info`.
    pub fn name(&self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }
}

/// Open `path` and return a reader of its decompressed bytes (concatenated gzip/bzip2 members
/// and zstd frames are all read).
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Compression)> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(Error::invalid(path, None, "is a directory, not a file"));
    }
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        match file.read(&mut head[n..]).map_err(io)? {
            0 => break,
            k => n += k,
        }
    }
    let kind = Compression::detect(&head[..n]);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let file = BufReader::with_capacity(1 << 20, file);
    let reader: Box<dyn Read + Send> = match kind {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(file)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(file).map_err(io)?),
    };
    Ok((reader, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_compression_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"<a>hello</a>\n".repeat(1000);
        let gz = dir.path().join("x.gz");
        let mut e = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        e.write_all(&text).unwrap();
        e.finish().unwrap();
        let bz = dir.path().join("x.bz2");
        let mut e = bzip2::write::BzEncoder::new(File::create(&bz).unwrap(), bzip2::Compression::fast());
        e.write_all(&text).unwrap();
        e.finish().unwrap();
        let zs = dir.path().join("x.zst");
        std::fs::write(&zs, zstd::encode_all(&text[..], 1).unwrap()).unwrap();
        let plain = dir.path().join("x.xml");
        std::fs::write(&plain, &text).unwrap();
        for (p, k) in
            [(gz, Compression::Gzip), (bz, Compression::Bzip2), (zs, Compression::Zstd), (plain, Compression::None)]
        {
            let (mut r, kind) = open(&p).unwrap();
            assert_eq!(kind, k);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, text);
        }
    }
}
