//! Random tables for the writer's property tests (seeded, so every failure is reproducible):
//! every column type, NULLs, empty and Unicode text, long values inline, on shared long-value
//! pages and on page chains. [`Profile::Mdbtools`] keeps to what mdbtools renders faithfully
//! (no fixed Binary columns, no zero-length values, dates of 1900..2899 in whole seconds), for
//! differential tests against it.

use std::path::Path;

use super::{Column, ColumnType, JetWriter, Value, WriteResult};
use crate::rng::SplitMix64 as Rng;

/// Which values to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Everything the writer can store.
    Full,
    /// Only what mdbtools prints faithfully.
    Mdbtools,
}

/// A generated table: name, columns, rows.
#[derive(Debug, Clone)]
pub struct RandomTable {
    /// Table name (with non-ASCII characters).
    pub name: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// 1 to 3 random tables of up to `max_rows` rows and 1 to 12 columns, from `seed`.
pub fn random_tables(seed: u64, max_rows: u64, profile: Profile) -> Vec<RandomTable> {
    let mut rng = Rng(seed);
    (0..1 + rng.below(3))
        .map(|t| {
            let columns: Vec<Column> =
                (0..1 + rng.below(12)).map(|c| Column::new(&format!("c{c}"), random_type(&mut rng, profile))).collect();
            let nrows = rng.below(max_rows + 1);
            let rows =
                (0..nrows).map(|_| columns.iter().map(|c| random_value(&mut rng, c.kind, profile)).collect()).collect();
            let name = format!("T{t} {}", ["Ωmega", "données", "表", "plain"][rng.below(4) as usize]);
            RandomTable { name, columns, rows }
        })
        .collect()
}

/// Write `tables` as a database at `path`.
pub fn write_tables(path: &Path, tables: &[RandomTable]) -> WriteResult<()> {
    write_tables_encoded(path, tables, 0)
}

/// Write `tables` to a database RC4-encoded with `db_key` (0: plain); see
/// [`JetWriter::create_encoded`].
pub fn write_tables_encoded(path: &Path, tables: &[RandomTable], db_key: u32) -> WriteResult<()> {
    let mut db = JetWriter::create_encoded(path, db_key)?;
    for t in tables {
        let mut w = db.table(&t.name, t.columns.clone())?;
        for r in &t.rows {
            w.push(r)?;
        }
        w.finish()?;
    }
    db.finish()
}

fn random_type(rng: &mut Rng, profile: Profile) -> ColumnType {
    loop {
        let t = match rng.below(14) {
            0 => ColumnType::Bool,
            1 => ColumnType::Byte,
            2 => ColumnType::Integer,
            3 => ColumnType::Long,
            4 => ColumnType::Currency,
            5 => ColumnType::Single,
            6 => ColumnType::Double,
            7 => ColumnType::DateTime,
            8 => ColumnType::Binary(1 + rng.below(255) as u8),
            9 => ColumnType::Text(1 + rng.below(255) as u8),
            10 => ColumnType::Ole,
            11 => ColumnType::Memo,
            12 => ColumnType::Guid,
            _ => {
                let precision = 1 + rng.below(28) as u8;
                ColumnType::Decimal { precision, scale: rng.below(u64::from(precision) + 1) as u8 }
            }
        };
        if !(profile == Profile::Mdbtools && matches!(t, ColumnType::Binary(_))) {
            return t;
        }
    }
}

/// Text of `min..=max` UTF-16 units: ASCII, Latin-1, a mix with CJK and line breaks, or any
/// character of the Basic Multilingual Plane below the surrogates.
fn random_text(rng: &mut Rng, min: usize, max: usize) -> String {
    let len = min + rng.below((max - min) as u64 + 1) as usize;
    let alphabet = rng.below(4);
    (0..len)
        .map(|_| match alphabet {
            0 => (b' ' + rng.below(95) as u8) as char,
            1 => char::from_u32(1 + rng.below(0xFF) as u32).unwrap_or('?'),
            2 => ['a', 'é', 'Ω', 'Ж', '東', '京', '\n', '"', ',', 'ß'][rng.below(10) as usize],
            _ => char::from_u32(0x20 + rng.below(0xD7FF - 0x20) as u32).unwrap_or('?'),
        })
        .collect()
}

/// The length of a long value: inline, one long-value page, or a chain of pages.
fn long_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0..=4 => rng.below(200) as usize,
        5..=7 => rng.below(4000) as usize,
        _ => 4000 + rng.below(20_000) as usize,
    }
}

fn random_value(rng: &mut Rng, t: ColumnType, profile: Profile) -> Value {
    if t != ColumnType::Bool && rng.chance(15) {
        return Value::Null;
    }
    let min = usize::from(profile == Profile::Mdbtools); // mdbtools prints zero-length values as NULL
    match t {
        ColumnType::Bool => Value::Bool(rng.chance(50)),
        ColumnType::Byte => Value::Byte(rng.next() as u8),
        ColumnType::Integer => Value::Integer(rng.next() as i16),
        ColumnType::Long => Value::Long(rng.next() as i32),
        ColumnType::Currency => Value::Currency(rng.next() as i64 >> rng.below(40)),
        ColumnType::Single => Value::Single((rng.next() as i32) as f32 / 1024.0),
        // Finite doubles of any magnitude (the exponent's top bit cleared: no NaN or infinity).
        ColumnType::Double => Value::Double(f64::from_bits(rng.next() & 0xBFEF_FFFF_FFFF_FFFF)),
        // Milliseconds (the reader's resolution), years 100..9999; for mdbtools whole seconds
        // (it rounds to the second) of the years 1900..2899 (it prints earlier dates and dates
        // after about 4500 as '1900-01-00').
        ColumnType::DateTime => match profile {
            Profile::Full => Value::DateTime((-59_011_459_200_000 + rng.below(313_524_000_000_000) as i64) * 1000),
            Profile::Mdbtools => Value::DateTime((-2_208_988_800 + rng.below(31_556_952_000) as i64) * 1_000_000),
        },
        ColumnType::Binary(n) => Value::Binary((0..rng.below(u64::from(n) + 1)).map(|_| rng.next() as u8).collect()),
        ColumnType::Text(n) => Value::Text(random_text(rng, min, usize::from(n))),
        ColumnType::Ole => {
            let n = long_len(rng).max(min);
            Value::Binary((0..n).map(|_| rng.next() as u8).collect())
        }
        ColumnType::Memo => {
            let n = long_len(rng).max(min);
            Value::Text(random_text(rng, min, n))
        }
        ColumnType::Guid => Value::Guid(std::array::from_fn(|_| rng.next() as u8)),
        ColumnType::Decimal { precision, .. } => {
            let limit = 10u128.pow(u32::from(precision));
            let m = (u128::from(rng.next()) << 64 | u128::from(rng.next())) % limit;
            Value::Decimal(if rng.chance(50) { -(m as i128) } else { m as i128 })
        }
    }
}
