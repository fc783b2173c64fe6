//! One cell's value, decoded from calamine's representation into what the column typing needs
//! (dates as days, datetimes as milliseconds, ...), its [`Kind`], and its faithful text form for
//! string columns.

pub use crate::infer::{days_from_civil, days_in_month};

use std::borrow::Cow;

use calamine::{CellErrorType, DataRef};

/// Milliseconds in a day.
const DAY_MS: f64 = 86_400_000.0;
/// Days from 1899-12-30 (the day Excel's serial 0 is counted from, after its 1900 leap-year
/// bug is allowed for) to 1970-01-01.
const SERIAL_UNIX_EPOCH: f64 = 25_569.0;
/// Serials past 9999-12-31 are not dates Excel can show; they stay numbers.
const MAX_SERIAL: f64 = 2_958_466.0 + 1_462.0;
/// Largest integer a double holds exactly.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// The type a column (or one cell) asks for. Columns merge the kinds of their cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// No value seen (empty cells, nulled error cells, empty strings).
    Null,
    /// Integral numbers.
    Int,
    /// Numbers with a fraction part (or integral ones too large for exact integers).
    Float,
    Bool,
    /// Date-formatted cells without a time part.
    Date,
    /// Date-formatted cells with a time part.
    DateTime,
    /// Time-of-day cells (serial in `[0, 1)`).
    Time,
    /// Duration-formatted cells (`[h]:mm:ss`).
    Duration,
    /// Text, or a mix of kinds rendered as text.
    String,
}

impl Kind {
    /// The narrowest kind that holds both.
    pub fn merge(self, other: Kind) -> Kind {
        use Kind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Null, x) | (x, Null) => x,
            (Int, Float) | (Float, Int) => Float,
            (Date, DateTime) | (DateTime, Date) => DateTime,
            (Time, DateTime) | (DateTime, Time) | (Time, Date) | (Date, Time) => DateTime,
            _ => String,
        }
    }

    /// Stable short name (stored in plans, shown in errors).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "empty",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::DateTime => "datetime",
            Kind::Time => "time",
            Kind::Duration => "duration",
            Kind::String => "string",
        }
    }
}

/// A decoded cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Empty cell.
    Empty,
    /// A text cell holding the empty string: null in typed columns, `""` in string columns.
    EmptyText,
    Int(i64),
    /// A number.
    Float(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since 1970-01-01T00:00.
    DateTime(i64),
    /// Milliseconds since midnight, and the same instant as a datetime (Excel's day 0).
    Time(i32, i64),
    /// Milliseconds.
    Duration(i64),
    Text(Cow<'a, str>),
    Error(CellErrorType),
}

/// How error cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorCells {
    /// Null, counted in the table's details.
    #[default]
    Null,
    /// Their text (`#N/A`, `#DIV/0!`), which makes the column a string column.
    Text,
}

impl Val<'_> {
    /// The kind this value asks of its column.
    pub fn kind(&self, errors: ErrorCells) -> Kind {
        match self {
            Val::Empty | Val::EmptyText => Kind::Null,
            Val::Int(_) => Kind::Int,
            Val::Float(f) => {
                if is_exact_int(*f) {
                    Kind::Int
                } else {
                    Kind::Float
                }
            }
            Val::Bool(_) => Kind::Bool,
            Val::Date(_) => Kind::Date,
            Val::DateTime(_) => Kind::DateTime,
            Val::Time(..) => Kind::Time,
            Val::Duration(_) => Kind::Duration,
            Val::Text(_) => Kind::String,
            Val::Error(_) => match errors {
                ErrorCells::Null => Kind::Null,
                ErrorCells::Text => Kind::String,
            },
        }
    }

    /// True for values that are not data (empty cells).
    pub fn is_empty(&self) -> bool {
        matches!(self, Val::Empty)
    }

    /// Faithful text: `3.0` -> `3`, dates ISO 8601, booleans `true`/`false`, errors as Excel
    /// shows them. `None` for empty cells.
    pub fn render(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Val::Empty => return None,
            Val::EmptyText => Cow::Borrowed(""),
            Val::Int(i) => Cow::Owned(i.to_string()),
            Val::Float(f) => Cow::Owned(render_float(*f)),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Val::Date(d) => Cow::Owned(render_date(*d)),
            Val::DateTime(ms) => Cow::Owned(render_datetime(*ms)),
            Val::Time(ms, _) => Cow::Owned(render_time(*ms as i64)),
            Val::Duration(ms) => Cow::Owned(render_duration(*ms)),
            Val::Text(s) => Cow::Borrowed(s.as_ref()),
            Val::Error(e) => Cow::Owned(e.to_string()),
        })
    }
}

fn is_exact_int(f: f64) -> bool {
    f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_EXACT
}

/// Shortest text that reads back as the same double; integral values without `.0`.
pub fn render_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return "0".into();
    }
    let a = f.abs();
    if (1e-5..1e16).contains(&a) {
        format!("{f}")
    } else {
        format!("{f:e}")
    }
}

/// Decode a calamine cell. `is_1904` selects the workbook's date system.
pub fn decode<'a>(d: &DataRef<'a>, is_1904: bool) -> Val<'a> {
    match d {
        DataRef::Empty => Val::Empty,
        DataRef::Int(i) => Val::Int(*i),
        DataRef::Float(f) => Val::Float(*f),
        DataRef::Bool(b) => Val::Bool(*b),
        DataRef::String(s) => text(Cow::Owned(s.clone())),
        DataRef::SharedString(s) => text(Cow::Borrowed(s)),
        DataRef::Error(e) => Val::Error(e.clone()),
        DataRef::DateTime(dt) => {
            let v = dt.as_f64();
            if dt.is_duration() {
                if v.is_finite() && v.abs() < 1e12 {
                    Val::Duration((v * DAY_MS).round() as i64)
                } else {
                    Val::Float(v)
                }
            } else {
                serial_to_val(v, is_1904)
            }
        }
        DataRef::DateTimeIso(s) => parse_iso_datetime(s).unwrap_or_else(|| Val::Text(Cow::Owned(s.clone()))),
        DataRef::DurationIso(s) => {
            parse_iso_duration(s).map(Val::Duration).unwrap_or_else(|| Val::Text(Cow::Owned(s.clone())))
        }
    }
}

fn text(s: Cow<'_, str>) -> Val<'_> {
    if s.is_empty() {
        Val::EmptyText
    } else {
        Val::Text(s)
    }
}

/// A date-formatted serial as a date, a time of day or a datetime. Serials Excel cannot show as
/// dates (negative, past 9999, not finite) stay numbers.
pub fn serial_to_val(v: f64, is_1904: bool) -> Val<'static> {
    if !v.is_finite() || !(0.0..MAX_SERIAL).contains(&v) {
        return Val::Float(v);
    }
    let f = if is_1904 { v + 1_462.0 } else { v };
    // Excel's 1900 system counts a 29 February 1900 that never was: serials before it are one
    // day early against a 1899-12-30 epoch.
    let f = if f < 60.0 { f + 1.0 } else { f };
    let ms = ((f - SERIAL_UNIX_EPOCH) * DAY_MS).round() as i64;
    if v > 0.0 && v < 1.0 {
        let tod = (v * DAY_MS).round() as i64;
        if tod < DAY_MS as i64 {
            return Val::Time(tod as i32, ms);
        }
    }
    if ms.rem_euclid(DAY_MS as i64) == 0 {
        Val::Date(ms.div_euclid(DAY_MS as i64) as i32)
    } else {
        Val::DateTime(ms)
    }
}

/// `2021-03-04`, `2021-03-04T05:06:07[.890]` (OpenDocument date values).
fn parse_iso_datetime(s: &str) -> Option<Val<'static>> {
    let s = s.trim();
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    match time {
        None => Some(Val::Date(i32::try_from(days).ok()?)),
        Some(t) => {
            let ms = parse_hms(t)?;
            let total = days.checked_mul(86_400_000)?.checked_add(ms)?;
            if ms == 0 {
                Some(Val::Date(i32::try_from(days).ok()?))
            } else {
                Some(Val::DateTime(total))
            }
        }
    }
}

/// `HH:MM:SS[.fff]` to milliseconds.
fn parse_hms(t: &str) -> Option<i64> {
    let mut it = t.splitn(3, ':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec: f64 = it.next().unwrap_or("0").parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..61.0).contains(&sec) {
        return None;
    }
    Some(h * 3_600_000 + m * 60_000 + (sec * 1000.0).round() as i64)
}

/// `PT12H30M15.5S` (OpenDocument time values) to milliseconds.
fn parse_iso_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    let (days_part, time_part) = match s.split_once('T') {
        Some((d, t)) => (d, t),
        None => (s, ""),
    };
    let mut ms = 0f64;
    let mut num = String::new();
    for c in days_part.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'D' => {
                ms += num.parse::<f64>().ok()? * DAY_MS;
                num.clear();
            }
            _ => return None,
        }
    }
    if !num.is_empty() {
        return None;
    }
    for c in time_part.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = num.parse().ok()?;
                ms += v * match c {
                    'H' => 3_600_000.0,
                    'M' => 60_000.0,
                    _ => 1000.0,
                };
                num.clear();
            }
            _ => return None,
        }
    }
    if !num.is_empty() || !ms.is_finite() {
        return None;
    }
    let ms = ms.round() as i64;
    Some(if neg { -ms } else { ms })
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn render_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

fn render_time(ms: i64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (mi, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    if milli == 0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}.{milli:03}")
    }
}

fn render_datetime(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let tod = ms.rem_euclid(86_400_000);
    format!("{}T{}", render_date(days as i32), render_time(tod))
}

fn render_duration(ms: i64) -> String {
    if ms < 0 {
        format!("-{}", render_time(-ms))
    } else {
        render_time(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_follow_excel_calendar() {
        assert_eq!(serial_to_val(1.0, false), Val::Date(days_from_civil(1900, 1, 1) as i32));
        assert_eq!(serial_to_val(59.0, false), Val::Date(days_from_civil(1900, 2, 28) as i32));
        assert_eq!(serial_to_val(61.0, false), Val::Date(days_from_civil(1900, 3, 1) as i32));
        assert_eq!(serial_to_val(45_000.0, false), Val::Date(days_from_civil(2023, 3, 15) as i32));
        assert_eq!(serial_to_val(0.0, true), Val::Date(days_from_civil(1904, 1, 1) as i32));
        assert_eq!(
            serial_to_val(45_000.5, false),
            Val::DateTime(days_from_civil(2023, 3, 15) * 86_400_000 + 43_200_000)
        );
        assert!(matches!(serial_to_val(0.25, false), Val::Time(21_600_000, _)));
        assert_eq!(serial_to_val(-1.0, false), Val::Float(-1.0));
    }

    #[test]
    fn iso_values_parse() {
        assert_eq!(parse_iso_datetime("2021-03-04"), Some(Val::Date(days_from_civil(2021, 3, 4) as i32)));
        assert_eq!(
            parse_iso_datetime("2021-03-04T01:00:00"),
            Some(Val::DateTime(days_from_civil(2021, 3, 4) * 86_400_000 + 3_600_000))
        );
        assert_eq!(parse_iso_datetime("2021-02-30"), None);
        assert_eq!(parse_iso_duration("PT12H30M15.5S"), Some(45_015_500));
        assert_eq!(parse_iso_duration("P1DT1H"), Some(90_000_000));
        assert_eq!(parse_iso_duration("PTxS"), None);
    }

    #[test]
    fn rendering_is_faithful() {
        assert_eq!(Val::Float(3.0).render().unwrap(), "3");
        assert_eq!(Val::Float(0.1).render().unwrap(), "0.1");
        assert_eq!(Val::Float(1e300).render().unwrap(), "1e300");
        assert_eq!(Val::Date(0).render().unwrap(), "1970-01-01");
        assert_eq!(Val::DateTime(1_500).render().unwrap(), "1970-01-01T00:00:01.500");
        assert_eq!(Val::Duration(36 * 3_600_000).render().unwrap(), "36:00:00");
        assert_eq!(Val::Error(CellErrorType::NA).render().unwrap(), "#N/A");
        assert_eq!(Kind::Int.merge(Kind::Float), Kind::Float);
        assert_eq!(Kind::Int.merge(Kind::String), Kind::String);
        assert_eq!(Kind::Date.merge(Kind::DateTime), Kind::DateTime);
        assert_eq!(Kind::Null.merge(Kind::Bool), Kind::Bool);
        assert_eq!(Kind::Int.merge(Kind::Bool), Kind::String);
        for d in [-800_000i64, -1, 0, 1, 18_000, 2_900_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
