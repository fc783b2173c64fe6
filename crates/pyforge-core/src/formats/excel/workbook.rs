//! Opening a workbook with calamine and walking one sheet's cells in row order.
//!
//! `.xlsx`/`.xlsm`/`.xlsb` sheets are streamed with calamine's cell readers: memory does not grow
//! with the sheet. `.xls` and `.ods` sheets are loaded by calamine as one range over the used
//! cells (bounded by the format: 65,536 x 256 cells for `.xls`; calamine caps `.ods` at 100 M
//! cells), and kept for the life of the reader.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use calamine::{Cell, Data, DataRef, Dimensions, Ods, Range, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx};

use crate::error::{Error, Result};

type Rs = BufReader<File>;

/// The four container formats calamine reads.
enum Book {
    Xlsx(Xlsx<Rs>),
    Xlsb(Xlsb<Rs>),
    Xls(Xls<std::io::Cursor<Vec<u8>>>),
    Ods(Ods<Rs>),
}

/// A sheet as the workbook lists it.
#[derive(Debug, Clone)]
pub struct SheetMeta {
    pub name: String,
    /// `visible`, `hidden` or `very hidden`.
    pub visibility: &'static str,
    /// `worksheet`, `chartsheet`, `dialog sheet`, `macro sheet`, `vba module`.
    pub kind: &'static str,
}

impl SheetMeta {
    /// Sheets that hold cells (worksheets and macro sheets); chart sheets and the like do not.
    pub fn has_cells(&self) -> bool {
        matches!(self.kind, "worksheet" | "macro sheet")
    }
}

/// An opened workbook.
pub struct Workbook {
    path: PathBuf,
    book: Book,
    /// `xlsx`, `xlsb`, `xls` or `ods`.
    pub container: &'static str,
    pub is_1904: bool,
    pub sheets: Vec<SheetMeta>,
    ranges: HashMap<String, Range<Data>>,
}

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn head(path: &Path) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::with_capacity(8);
    f.by_ref().take(8).read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
    Ok(buf)
}

fn ext(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

/// The workbook stream of the OLE2 container at `path`, checked, in a new container of its own
/// that calamine then reads (instead of the file).
///
/// Why a new container: calamine 0.38 reads the OLE2 container its own way. It follows the
/// directory chain without a bound and a stream's sector chain up to the length the directory
/// claims, so a looping chain grows memory until the process is killed; and it takes the first
/// directory entry named `Workbook` in directory order, reachable or not. A bound check on the
/// stream the `cfb` crate gives (which validates the FAT and every chain) could then be made
/// on other bytes than calamine parses (found by fuzzing). Handing calamine a container the
/// `cfb` crate wrote, holding only the checked stream, makes both read the same bytes. The cost
/// is one more copy of the stream while the workbook opens (.xls streams are tens of MB at
/// most).
fn checked_ole2(path: &Path) -> Result<Vec<u8>> {
    let damaged = |e: &dyn std::fmt::Display| Error::invalid(path, None, format!("damaged OLE2 container (.xls): {e}"));
    let mut file = cfb::open(path).map_err(|e| damaged(&e))?;
    let streams: Vec<_> = file.walk().filter(|e| e.is_stream()).map(|e| e.path().to_path_buf()).collect();
    for stream in streams {
        file.open_stream(&stream).map_err(|e| damaged(&format!("stream {}: {e}", stream.display())))?;
    }
    let mut out = cfb::CompoundFile::create_with_version(cfb::Version::V3, std::io::Cursor::new(Vec::new()))
        .map_err(|e| Error::io(path, e))?;
    // calamine looks for `Workbook` (BIFF8), then `Book` (BIFF5); without either it says so.
    if let Some(name) = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)) {
        let mut stream = Vec::new();
        let mut source = file.open_stream(name).map_err(|e| damaged(&format!("stream {name}: {e}")))?;
        // A sector chain that ends before the length the directory claims: calamine would read
        // what the chain holds and lose the rest without a word; that is a damaged file.
        source.read_to_end(&mut stream).map_err(|e| {
            damaged(&format!(
                "stream {name} is cut short: reading the {1} bytes its directory entry claims failed after {0} ({e})",
                stream.len(),
                source.len()
            ))
        })?;
        check_cell_boxes(path, &stream)?;
        let mut copy = out.create_stream(name).map_err(|e| Error::io(path, e))?;
        std::io::Write::write_all(&mut copy, &stream).map_err(|e| Error::io(path, e))?;
    }
    out.flush().map_err(|e| Error::io(path, e))?;
    Ok(out.into_inner().into_inner())
}

/// Columns an .xls sheet can have (BIFF8: A to IV). A cell beyond them marks a damaged file.
pub const XLS_COLUMNS: u16 = 256;
/// Most cells the sheets' bounding boxes may span together (summed over the sheets) whatever
/// the file holds: 32 Mi cells, about 1 GiB of calamine cells. Two sheets spanning the whole
/// 65,536 × 256 grid fit.
pub const MAX_XLS_BOX_CELLS: u64 = 1 << 25;
/// Beyond [`MAX_XLS_BOX_CELLS`], the boxes may span at most this many cells per cell stored,
/// so memory stays proportional to the file.
pub const MAX_XLS_BOX_PER_CELL: u64 = 16;

/// Refuse an .xls whose cells lie outside the 256 columns a sheet has, whose DIMENSIONS record
/// claims more than the 65,536 × 256 grid, or whose bounding boxes are both huge and far larger
/// than the cells it stores. calamine 0.38 parses every sheet when the workbook is opened: it
/// reserves the cells DIMENSIONS claims and allocates each sheet's whole box of cells (rows ×
/// columns between the extreme cells, once for values and once for formulas) at once, so two
/// cells at far corners (columns up to 65535 in a damaged file) ask for 137 GB and abort the
/// process (found by fuzzing). A valid but sparse sheet (a note far to the right of the data)
/// is read.
///
/// The records are read the way calamine reads them: each sheet from the stream position its
/// BoundSheet8 record gives (a damaged position makes calamine read other bytes as records),
/// nested substreams (charts) skipped, a STRING record placed at the formula before it.
fn check_cell_boxes(path: &Path, stream: &[u8]) -> Result<()> {
    // Encrypted: calamine says so, and reads nothing we could check.
    let Some(sheets) = sheet_offsets(stream) else { return Ok(()) };
    let (mut total, mut stored) = (0u64, 0u64);
    for pos in sheets {
        let sheet = sheet_cell_boxes(path, stream, pos)?;
        total += sheet.span;
        stored += sheet.stored;
    }
    if total > MAX_XLS_BOX_CELLS && total > stored.saturating_mul(MAX_XLS_BOX_PER_CELL) {
        return Err(Error::invalid(
            path,
            None,
            format!(
                "the sheets' cells span {total} cells (rows × columns between their extreme \
                 cells) for {stored} cells stored: a damaged file, or one too sparse for the .xls \
                 reader, which holds every cell of that span in memory (save it as .xlsx, which \
                 is streamed)"
            ),
        ));
    }
    Ok(())
}

// The BIFF8 record types [`check_cell_boxes`] reads.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const MULRK: u16 = 0x00BD;
/// The other cell records: NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST.
const CELLS: [u16; 6] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];
/// Cells of an .xls sheet's whole grid.
const GRID: u64 = 65_536 * XLS_COLUMNS as u64;

/// (type, data) of the records of `stream` from byte `from` on, ending at a truncated record.
fn biff_records(stream: &[u8], from: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = from;
    std::iter::from_fn(move || {
        let head = stream.get(at..at + 4)?;
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((kind, data))
    })
}

fn u16_at(d: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([d[i], d[i + 1]])
}

fn damaged_workbook(path: &Path, what: String) -> Error {
    Error::invalid(path, None, format!("damaged workbook: {what}"))
}

/// The stream positions of the sheets (BoundSheet8 records of the workbook globals); `None`
/// when the workbook is encrypted.
fn sheet_offsets(stream: &[u8]) -> Option<Vec<usize>> {
    let mut sheets = Vec::new();
    for (kind, data) in biff_records(stream, 0) {
        match kind {
            // Encrypted: calamine says so (and panics, guarded, on a record too short to say
            // how). A FilePass of type 0 (XOR obfuscation) it reads on as plain records.
            FILEPASS if data.len() < 2 || u16_at(data, 0) != 0 => return None,
            BOUNDSHEET if data.len() >= 4 => {
                sheets.push(u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize)
            }
            EOF => break,
            _ => {}
        }
    }
    Some(sheets)
}

/// (first row, last row, first column, last column) of some cells.
#[derive(Default)]
struct Bbox(Option<(u16, u16, u16, u16)>);

impl Bbox {
    fn add(&mut self, row: u16, first: u16, last: u16) {
        self.0 = Some(match self.0 {
            None => (row, row, first, last),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
        });
    }
    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1))
    }
}

/// What calamine will allocate for one sheet, and what the sheet stores.
struct SheetCells {
    /// Cells of the sheet's boxes: the values' box plus the formulas' box.
    span: u64,
    /// Cells the sheet's records hold.
    stored: u64,
}

/// Read the sheet whose BOF is at `pos` as calamine does: an error for a cell beyond the
/// columns or a DIMENSIONS record beyond the grid.
fn sheet_cell_boxes(path: &Path, stream: &[u8], pos: usize) -> Result<SheetCells> {
    let (mut values, mut formulas, mut stored) = (Bbox::default(), Bbox::default(), 0u64);
    let (mut depth, mut seen_bof, mut formula_at) = (0usize, false, (0u16, 0u16));
    for (kind, d) in biff_records(stream, pos) {
        // Inside a nested substream (a chart): skipped to its EOF.
        if depth > 0 {
            match kind {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let (row, first, last) = match kind {
            BOF if seen_bof => {
                depth += 1;
                continue;
            }
            BOF => {
                seen_bof = true;
                continue;
            }
            EOF => break,
            DIMENSIONS => {
                check_dimensions(path, d)?;
                continue;
            }
            FORMULA if d.len() >= 20 => {
                formula_at = (u16_at(d, 0), u16_at(d, 2));
                formulas.add(formula_at.0, formula_at.1, formula_at.1);
                (formula_at.0, formula_at.1, formula_at.1)
            }
            STRING => (formula_at.0, formula_at.1, formula_at.1),
            MULRK if d.len() >= 6 => {
                let col = u16_at(d, 2);
                (u16_at(d, 0), col, u16_at(d, d.len() - 2).max(col))
            }
            k if CELLS.contains(&k) && d.len() >= 4 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 2)),
            _ => continue,
        };
        if last >= XLS_COLUMNS {
            return Err(damaged_workbook(
                path,
                format!(
                    "a cell at row {}, column {} (an .xls sheet has {XLS_COLUMNS} columns)",
                    u32::from(row) + 1,
                    u32::from(last) + 1
                ),
            ));
        }
        // A MULRK holds 6 bytes per value between its first column and last column.
        stored += if kind == MULRK { ((d.len() as u64).saturating_sub(6) / 6).max(1) } else { 1 };
        values.add(row, first, last);
    }
    Ok(SheetCells { span: values.cells() + formulas.cells(), stored })
}

/// Refuse a DIMENSIONS record (data `d`) that claims more than the grid: calamine reserves
/// rows × columns cells for what it claims.
fn check_dimensions(path: &Path, d: &[u8]) -> Result<()> {
    let (rf, rl, cf, cl) = match d.len() {
        10 => (u32::from(u16_at(d, 0)), u32::from(u16_at(d, 2)), u32::from(u16_at(d, 4)), u32::from(u16_at(d, 6))),
        14 | 16 => (
            u32::from_le_bytes([d[0], d[1], d[2], d[3]]),
            u32::from_le_bytes([d[4], d[5], d[6], d[7]]),
            u32::from(u16_at(d, 8)),
            u32::from(u16_at(d, 10)),
        ),
        _ => return Ok(()), // calamine reports the length
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rl >= 1 && cl >= 1 {
        let rows = i64::from(rl) - i64::from(rf);
        let cols = i64::from(cl) - i64::from(cf);
        if rows <= 0 || rows as u64 * cols as u64 > GRID {
            return Err(damaged_workbook(path, format!("its DIMENSIONS record claims rows {rf}..{rl} and columns {cf}..{cl}, outside the 65,536 × 256 grid of an .xls sheet")));
        }
    }
    Ok(())
}

impl Workbook {
    /// Open `path`, choosing the reader by content (OLE2 container or zip) and extension.
    pub fn open(path: &Path) -> Result<Workbook> {
        let head = head(path)?;
        let ext = ext(path);
        let bad =
            |what: &str, e: &dyn std::fmt::Display| Error::invalid(path, None, format!("cannot read as {what}: {e}"));
        let rs = || -> Result<Rs> { Ok(BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?)) };
        let (book, container) = if head.starts_with(CFB_MAGIC) {
            match Xls::new(std::io::Cursor::new(checked_ole2(path)?)) {
                Ok(x) => (Book::Xls(x), "xls"),
                Err(e) if matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xltx" | "xltm") => {
                    return Err(Error::invalid(
                        path,
                        None,
                        format!(
                            "this .{ext} file is an OLE2 container, not a zip: it is probably password-protected \
                             (encrypted); save it without a password and try again ({e})"
                        ),
                    ))
                }
                Err(e) => return Err(bad("an Excel 97-2003 workbook (.xls)", &e)),
            }
        } else if head.starts_with(b"PK") {
            match ext.as_str() {
                "xlsb" => {
                    (Book::Xlsb(Xlsb::new(rs()?).map_err(|e| bad("an Excel binary workbook (.xlsb)", &e))?), "xlsb")
                }
                "ods" | "fods" | "ots" => {
                    (Book::Ods(Ods::new(rs()?).map_err(|e| bad("an OpenDocument spreadsheet (.ods)", &e))?), "ods")
                }
                _ => match Xlsx::new(rs()?) {
                    Ok(x) => (Book::Xlsx(x), "xlsx"),
                    Err(xe) => match Ods::new(rs()?) {
                        Ok(o) => (Book::Ods(o), "ods"),
                        Err(_) => match Xlsb::new(rs()?) {
                            Ok(b) => (Book::Xlsb(b), "xlsb"),
                            Err(_) => return Err(bad("an Excel workbook (.xlsx)", &xe)),
                        },
                    },
                },
            }
        } else if head.is_empty() {
            return Err(Error::invalid(path, None, "file is empty: not a spreadsheet"));
        } else {
            return Err(Error::invalid(
                path,
                None,
                "not a spreadsheet: neither an OLE2 (.xls) nor a zip (.xlsx, .xlsb, .ods) container \
                 (text or HTML saved with a spreadsheet extension? convert it as CSV)",
            ));
        };
        let (is_1904, metas) = match &book {
            Book::Xlsx(x) => (x.has_1904_epoch(), x.sheets_metadata().to_vec()),
            Book::Xlsb(x) => (x.has_1904_epoch(), x.sheets_metadata().to_vec()),
            Book::Xls(x) => (x.has_1904_epoch(), x.sheets_metadata().to_vec()),
            Book::Ods(x) => (false, x.sheets_metadata().to_vec()),
        };
        let sheets = metas
            .into_iter()
            .map(|s| SheetMeta {
                name: s.name,
                visibility: match s.visible {
                    SheetVisible::Visible => "visible",
                    SheetVisible::Hidden => "hidden",
                    SheetVisible::VeryHidden => "very hidden",
                },
                kind: match s.typ {
                    SheetType::WorkSheet => "worksheet",
                    SheetType::DialogSheet => "dialog sheet",
                    SheetType::MacroSheet => "macro sheet",
                    SheetType::ChartSheet => "chartsheet",
                    SheetType::Vba => "vba module",
                },
            })
            .collect();
        Ok(Workbook { path: path.to_path_buf(), book, container, is_1904, sheets, ranges: HashMap::new() })
    }

    /// Merged regions of a sheet, where the format records them (xlsx, xls); empty otherwise.
    pub fn merged_regions(&mut self, sheet: &str) -> Result<Vec<Dimensions>> {
        match &mut self.book {
            Book::Xlsx(x) => match x.merge_cells_by_sheet_name(sheet) {
                Ok(v) => Ok(v),
                Err(e) => {
                    Err(Error::invalid(&self.path, None, format!("cannot read merged cells: {e}")).with_table(sheet))
                }
            },
            Book::Xls(x) => Ok(x.merge_cells_by_sheet_name(sheet).unwrap_or_default()),
            _ => Ok(Vec::new()),
        }
    }

    /// True when merged regions can be read for this container.
    pub fn knows_merged_regions(&self) -> bool {
        matches!(self.book, Book::Xlsx(_) | Book::Xls(_))
    }

    /// Call `f(row, col, value)` for every non-empty cell of `sheet` (0-based positions), in
    /// the order the file stores them, or sorted by (row, column) when `sorted`. `f` may stop
    /// the walk early.
    pub fn for_each_cell<'w, F>(&'w mut self, sheet: &str, sorted: bool, mut f: F) -> Result<()>
    where
        F: FnMut(u32, u32, DataRef<'w>) -> Result<ControlFlow<()>>,
    {
        let path = self.path.clone();
        let err = |e: &dyn std::fmt::Display| {
            Error::invalid(&path, None, format!("cannot read the sheet: {e}")).with_table(sheet)
        };
        // The xlsx and xlsb cell readers have the same `next_cell` but no trait in common.
        macro_rules! stream {
            ($reader:expr) => {{
                let mut reader = $reader.map_err(|e| err(&e))?;
                let next_cell = move || reader.next_cell().map_err(|e| err(&e));
                if sorted {
                    stream_sorted(next_cell, &mut f)
                } else {
                    stream_overlapped(next_cell, &mut f, &err)
                }
            }};
        }
        if !matches!(self.book, Book::Xls(_) | Book::Ods(_)) {
            return match &mut self.book {
                Book::Xlsx(x) => stream!(x.worksheet_cells_reader(sheet)),
                Book::Xlsb(x) => stream!(x.worksheet_cells_reader(sheet)),
                _ => unreachable!("checked above"),
            };
        }
        if !self.ranges.contains_key(sheet) {
            // One sheet's copy at a time: a workbook of many sheets is read sheet by sheet.
            self.ranges.clear();
            let range = match &mut self.book {
                Book::Xls(x) => x.worksheet_range(sheet).map_err(|e| err(&e))?,
                Book::Ods(x) => x.worksheet_range(sheet).map_err(|e| err(&e))?,
                _ => unreachable!("only xls and ods sheets are loaded as ranges"),
            };
            self.ranges.insert(sheet.to_string(), range);
        }
        let range: &'w Range<Data> = &self.ranges[sheet];
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, d) in range.used_cells() {
            let v = match d {
                Data::Int(i) => DataRef::Int(*i),
                Data::Float(x) => DataRef::Float(*x),
                Data::String(s) => DataRef::SharedString(s.as_str()),
                Data::Bool(b) => DataRef::Bool(*b),
                Data::DateTime(d) => DataRef::DateTime(*d),
                Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
                Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
                Data::Error(e) => DataRef::Error(e.clone()),
                Data::Empty => continue,
            };
            if f(r0 + r as u32, c0 + c as u32, v)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// The cells `next_cell` reads, empty ones left out, to `f` sorted by (row, column).
fn stream_sorted<'w, N, F>(mut next_cell: N, f: &mut F) -> Result<()>
where
    N: FnMut() -> Result<Option<Cell<DataRef<'w>>>>,
    F: FnMut(u32, u32, DataRef<'w>) -> Result<ControlFlow<()>>,
{
    let mut cells = Vec::new();
    while let Some(c) = next_cell()? {
        if !matches!(c.get_value(), DataRef::Empty) {
            let (r, col) = c.get_position();
            cells.push((r, col, c.get_value().clone()));
        }
    }
    cells.sort_by_key(|c| (c.0, c.1));
    for (r, col, v) in cells {
        if f(r, col, v)?.is_break() {
            break;
        }
    }
    Ok(())
}

/// The cells `next_cell` reads, empty ones left out, to `f` in the order read. Parsing the
/// sheet's XML (on its own thread) overlaps with what `f` does with the cells: chunks of cells
/// pass through a short queue. `err` makes the error for a parser thread that panicked.
fn stream_overlapped<'w, N, F, E>(mut next_cell: N, f: &mut F, err: &E) -> Result<()>
where
    N: FnMut() -> Result<Option<Cell<DataRef<'w>>>> + Send,
    F: FnMut(u32, u32, DataRef<'w>) -> Result<ControlFlow<()>>,
    E: Fn(&dyn std::fmt::Display) -> Error,
{
    const CHUNK: usize = 4096;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(u32, u32, DataRef<'w>)>>(4);
        let parser = scope.spawn(move || -> Result<()> {
            let mut chunk = Vec::with_capacity(CHUNK);
            while let Some(c) = next_cell()? {
                if matches!(c.get_value(), DataRef::Empty) {
                    continue;
                }
                let (r, col) = c.get_position();
                chunk.push((r, col, c.get_value().clone()));
                if chunk.len() == CHUNK && tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
                    return Ok(()); // the consumer stopped early
                }
            }
            let _ = tx.send(chunk);
            Ok(())
        });
        let mut consumed: Result<()> = Ok(());
        'chunks: for chunk in rx.iter() {
            for (r, col, v) in chunk {
                match f(r, col, v) {
                    Ok(ControlFlow::Continue(())) => {}
                    Ok(ControlFlow::Break(())) => break 'chunks,
                    Err(e) => {
                        consumed = Err(e);
                        break 'chunks;
                    }
                }
            }
        }
        drop(rx); // unblocks the parser if it waits to send
        let parsed = parser.join().unwrap_or_else(|_| Err(err(&"the sheet parser stopped unexpectedly")));
        consumed.and(parsed)
    })
}

/// Excel's column letters for a 0-based column index: 0 -> `A`, 25 -> `Z`, 26 -> `AA`.
pub fn column_letters(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::column_letters;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
