//! Type inference and value parsing for text-based inputs (CSV today; XML and JSON reuse it).
//!
//! A [`ColumnState`] watches the values of one column and keeps the narrowest Arrow type that
//! represents *every* value seen exactly. The rules favour fidelity over cleverness:
//! - integers with leading zeros (`007`, zip codes) stay strings: a number would lose the zeros;
//! - numbers with more than 15 significant digits become decimals (a double would round them),
//!   or strings when a decimal cannot hold them either;
//! - only ISO dates (`2024-03-01`) and timestamps (`2024-03-01 12:00:00[.ffffff][Z|+01:00]`) are
//!   typed; day/month orders are ambiguous and stay strings;
//! - a column whose timestamps mix zoned and unzoned values stays a string.

use arrow::datatypes::{DataType, TimeUnit};

/// Tokens read as null in a column that is otherwise typed (never in a string column, where
/// "NA" may be Namibia).
pub const TYPED_NULL_TOKENS: &[&str] =
    &["NA", "N/A", "n/a", "NULL", "null", "Null", "None", "none", "nan", "NaN", "-nan", "#N/A"];

/// Timestamp time zone handling seen in a column.
const TZ_NONE: u8 = 1;
const TZ_SOME: u8 = 2;

/// What is known about one column's values so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnState {
    /// Number of non-null values seen.
    pub non_null: u64,
    bool_ok: bool,
    int_ok: bool,
    /// Every value so far is a plain decimal number (no exponent, no inf/nan).
    decimal_ok: bool,
    float_ok: bool,
    date_ok: bool,
    ts_ok: bool,
    /// Some number has more significant digits than a double holds exactly.
    lossy_as_double: bool,
    /// Largest number of digits before / after the decimal point.
    max_int_digits: u32,
    max_scale: u32,
    tz_seen: u8,
    max_frac_digits: u32,
}

impl Default for ColumnState {
    fn default() -> Self {
        ColumnState {
            non_null: 0,
            bool_ok: true,
            int_ok: true,
            decimal_ok: true,
            float_ok: true,
            date_ok: true,
            ts_ok: true,
            lossy_as_double: false,
            max_int_digits: 0,
            max_scale: 0,
            tz_seen: 0,
            max_frac_digits: 0,
        }
    }
}

impl ColumnState {
    /// A state that only allows strings (for `--all-strings`-style reading).
    pub fn string_only() -> Self {
        ColumnState {
            non_null: 1,
            bool_ok: false,
            int_ok: false,
            decimal_ok: false,
            float_ok: false,
            date_ok: false,
            ts_ok: false,
            ..Default::default()
        }
    }

    /// Account for one non-null value.
    pub fn observe(&mut self, v: &[u8]) {
        self.non_null += 1;
        if self.bool_ok && parse_bool(v).is_none() {
            self.bool_ok = false;
        }
        if self.int_ok || self.decimal_ok || self.float_ok {
            match classify_number(v) {
                Some(n) => {
                    if !double_keeps(v, &n) {
                        self.lossy_as_double = true;
                    }
                    self.max_int_digits = self.max_int_digits.max(n.int_digits);
                    self.max_scale = self.max_scale.max(n.scale);
                    if !n.is_integer || parse_i64(v).is_none() {
                        self.int_ok = false;
                    }
                    if !n.plain {
                        self.decimal_ok = false;
                    }
                }
                None => {
                    self.int_ok = false;
                    self.decimal_ok = false;
                    self.float_ok = false;
                }
            }
        }
        if self.date_ok && parse_date(v).is_none() {
            self.date_ok = false;
        }
        if self.ts_ok {
            match parse_timestamp(v, TimeUnit::Nanosecond) {
                Some(ts) => {
                    self.tz_seen |= if ts.has_tz { TZ_SOME } else { TZ_NONE };
                    self.max_frac_digits = self.max_frac_digits.max(ts.frac_digits);
                    if self.tz_seen == TZ_SOME | TZ_NONE {
                        self.ts_ok = false;
                    }
                }
                None => self.ts_ok = false,
            }
        }
    }

    /// Merge what another observer of the same column saw.
    pub fn merge(&mut self, o: &ColumnState) {
        self.non_null += o.non_null;
        self.bool_ok &= o.bool_ok;
        self.int_ok &= o.int_ok;
        self.decimal_ok &= o.decimal_ok;
        self.float_ok &= o.float_ok;
        self.date_ok &= o.date_ok;
        self.ts_ok &= o.ts_ok;
        self.lossy_as_double |= o.lossy_as_double;
        self.max_int_digits = self.max_int_digits.max(o.max_int_digits);
        self.max_scale = self.max_scale.max(o.max_scale);
        self.tz_seen |= o.tz_seen;
        self.max_frac_digits = self.max_frac_digits.max(o.max_frac_digits);
        if self.tz_seen == TZ_SOME | TZ_NONE {
            self.ts_ok = false;
        }
    }

    /// The narrowest type that holds every value seen, exactly.
    pub fn resolve(&self) -> DataType {
        if self.non_null == 0 {
            return DataType::Utf8;
        }
        if self.bool_ok {
            return DataType::Boolean;
        }
        if self.int_ok {
            return DataType::Int64;
        }
        if self.float_ok {
            // A double holds every decimal number of up to 15 significant digits exactly (it
            // prints back as the same number), and longer ones that are printed doubles
            // (`3.6140969876899156e-08`); anything else becomes a decimal or a string.
            if !self.lossy_as_double {
                return DataType::Float64;
            }
            let precision = self.max_int_digits + self.max_scale;
            if self.decimal_ok && precision <= 38 {
                return DataType::Decimal128(precision.max(1) as u8, self.max_scale as i8);
            }
            return DataType::Utf8;
        }
        if self.date_ok {
            return DataType::Date32;
        }
        if self.ts_ok {
            let unit = if self.max_frac_digits > 6 { TimeUnit::Nanosecond } else { TimeUnit::Microsecond };
            let tz = if self.tz_seen & TZ_SOME != 0 { Some("UTC".into()) } else { None };
            return DataType::Timestamp(unit, tz);
        }
        DataType::Utf8
    }
}

/// Parse `true`/`false` in lower, upper or title case.
pub fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"true" | b"True" | b"TRUE" => Some(true),
        b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

/// Parse a canonical decimal integer: optional sign, no leading zeros, fits in i64.
pub fn parse_i64(v: &[u8]) -> Option<i64> {
    let (neg, digits) = match v.first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    if digits.is_empty() || digits.len() > 19 || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    if neg && digits == b"0" {
        return None; // "-0" is kept by the float path, which has a negative zero
    }
    let mut acc: i64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = if neg {
            acc.checked_mul(10)?.checked_sub(d as i64)?
        } else {
            acc.checked_mul(10)?.checked_add(d as i64)?
        };
    }
    Some(acc)
}

/// Shape of a number as written.
#[derive(Debug, Clone, Copy)]
pub struct NumberShape {
    /// Written without a fraction or exponent.
    pub is_integer: bool,
    /// Plain decimal notation (no exponent, not inf/nan): can be a decimal.
    pub plain: bool,
    pub sig_digits: u32,
    pub int_digits: u32,
    pub scale: u32,
}

/// Recognise a number: `[+-]digits[.digits][e[+-]digits]`, `.5`, `inf`, `nan`. Integer parts
/// with leading zeros (`007`) are not numbers here: converting them would lose the zeros.
pub fn classify_number(v: &[u8]) -> Option<NumberShape> {
    let body = match v.first()? {
        b'-' | b'+' => &v[1..],
        _ => v,
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") || body.eq_ignore_ascii_case(b"nan")
    {
        return Some(NumberShape { is_integer: false, plain: false, sig_digits: 0, int_digits: 0, scale: 0 });
    }
    let mut i = 0;
    while i < body.len() && body[i].is_ascii_digit() {
        i += 1;
    }
    let int_part = &body[..i];
    if int_part.len() > 1 && int_part[0] == b'0' {
        return None;
    }
    let mut frac_part: &[u8] = &[];
    let mut has_point = false;
    if i < body.len() && body[i] == b'.' {
        has_point = true;
        let start = i + 1;
        i = start;
        while i < body.len() && body[i].is_ascii_digit() {
            i += 1;
        }
        frac_part = &body[start..i];
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut has_exp = false;
    if i < body.len() && (body[i] == b'e' || body[i] == b'E') {
        has_exp = true;
        i += 1;
        if i < body.len() && (body[i] == b'+' || body[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < body.len() && body[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != body.len() {
        return None;
    }
    // Significant digits: from the first non-zero digit to the last non-zero digit (no
    // allocation: this runs for every value of a numeric column).
    let n_int = int_part.len();
    let digit = |i: usize| if i < n_int { int_part[i] } else { frac_part[i - n_int] };
    let total = n_int + frac_part.len();
    let first = (0..total).find(|&i| digit(i) != b'0');
    let sig = match first {
        None => 1,
        Some(f) => {
            let last = (0..total).rev().find(|&i| digit(i) != b'0').unwrap_or(f);
            (last - f + 1) as u32
        }
    };
    Some(NumberShape {
        is_integer: !has_point && !has_exp,
        plain: !has_exp,
        sig_digits: sig,
        int_digits: int_part.iter().skip_while(|&&d| d == b'0').count() as u32,
        scale: frac_part.len() as u32,
    })
}

/// Parse a float accepted by [`classify_number`]; `None` also when the text has more
/// precision than the double would keep (it would print back as another number).
pub fn parse_f64(v: &[u8]) -> Option<f64> {
    let n = classify_number(v)?;
    let x = std::str::from_utf8(v).ok()?.parse::<f64>().ok()?;
    double_keeps(v, &n).then_some(x)
}

/// Whether the double nearest to the number `v` (of shape `n`) is still that number: no
/// overflow to infinity, no underflow to zero or to a subnormal that drops digits, no more
/// digits than a double holds. `inf` and `nan` spelled out are doubles.
fn double_keeps(v: &[u8], n: &NumberShape) -> bool {
    if !v.iter().any(u8::is_ascii_digit) {
        return true;
    }
    // Only these can fail; the check parses and prints the number again.
    let risky = n.sig_digits > 15 || !n.plain || n.int_digits > 300 || n.scale > 300;
    !risky || double_round_trips(v)
}

/// Significant digits (without leading/trailing zeros) and the decimal exponent of the first
/// of them, of a plain or scientific number: `0.0120e3` -> ("12", 1).
fn significand(v: &[u8]) -> Option<(Vec<u8>, i64)> {
    let body = v.strip_prefix(b"-").or_else(|| v.strip_prefix(b"+")).unwrap_or(v);
    let (mantissa, exp) = match body.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&body[..i], std::str::from_utf8(&body[i + 1..]).ok()?.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let point = mantissa.iter().position(|&c| c == b'.').unwrap_or(mantissa.len());
    let digits: Vec<(usize, u8)> =
        mantissa.iter().enumerate().filter(|(_, c)| c.is_ascii_digit()).map(|(i, &c)| (i, c)).collect();
    let first = digits.iter().position(|&(_, c)| c != b'0')?;
    let last = digits.iter().rposition(|&(_, c)| c != b'0')?;
    let pos = digits[first].0;
    // Exponent of the first significant digit relative to the decimal point.
    let e = if pos < point { (point - pos - 1) as i64 } else { -((pos - point) as i64) };
    Some((digits[first..=last].iter().map(|&(_, c)| c).collect(), e + exp))
}

/// Whether the double nearest to the text prints back as the same number.
pub fn double_round_trips(v: &[u8]) -> bool {
    let Some(x) = std::str::from_utf8(v).ok().and_then(|s| s.parse::<f64>().ok()) else { return false };
    if !x.is_finite() {
        return false;
    }
    if x == 0.0 {
        return significand(v).is_none();
    }
    // Rust prints the shortest text that reads back as the same double.
    let shortest = format!("{x:e}");
    significand(v) == significand(shortest.as_bytes())
}

/// Parse a plain decimal number into an i128 scaled by `10^scale`; `None` if it has more
/// fraction digits than `scale` or overflows `precision` digits.
pub fn parse_decimal(v: &[u8], precision: u8, scale: i8) -> Option<i128> {
    let n = classify_number(v)?;
    if !n.plain || n.scale > scale as u32 || n.int_digits + scale as u32 > precision as u32 {
        return None;
    }
    let (neg, body) = match v[0] {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let mut acc: i128 = 0;
    let mut frac_seen: i32 = -1;
    for &c in body {
        if c == b'.' {
            frac_seen = 0;
            continue;
        }
        acc = acc.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        if frac_seen >= 0 {
            frac_seen += 1;
        }
    }
    let frac = frac_seen.max(0);
    for _ in frac..scale as i32 {
        acc = acc.checked_mul(10)?;
    }
    Some(if neg { -acc } else { acc })
}

fn two(v: &[u8]) -> Option<u32> {
    if v.len() == 2 && v[0].is_ascii_digit() && v[1].is_ascii_digit() {
        Some(((v[0] - b'0') * 10 + (v[1] - b'0')) as u32)
    } else {
        None
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Days in month `m` (1-12) of year `y` (proleptic Gregorian).
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parse an ISO date `YYYY-MM-DD` into days since the epoch.
pub fn parse_date(v: &[u8]) -> Option<i32> {
    if v.len() != 10 || v[4] != b'-' || v[7] != b'-' {
        return None;
    }
    let mut y: i64 = 0;
    for &c in &v[..4] {
        if !c.is_ascii_digit() {
            return None;
        }
        y = y * 10 + (c - b'0') as i64;
    }
    let m = two(&v[5..7])?;
    let d = two(&v[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) as i32)
}

/// A parsed timestamp.
#[derive(Debug, Clone, Copy)]
pub struct ParsedTimestamp {
    /// Value in the requested unit, converted to UTC when a zone was given.
    pub value: i64,
    pub has_tz: bool,
    pub frac_digits: u32,
}

/// Parse `YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]][Z|±HH[:MM]]` (a bare date is midnight).
/// `None` if the text is not of that shape, or has more fraction digits than `unit` holds.
pub fn parse_timestamp(v: &[u8], unit: TimeUnit) -> Option<ParsedTimestamp> {
    if v.len() < 10 {
        return None;
    }
    let days = parse_date(&v[..10])? as i64;
    let mut secs = days * 86_400;
    let mut nanos: i64 = 0;
    let mut frac_digits = 0;
    let mut has_tz = false;
    let rest = &v[10..];
    if !rest.is_empty() {
        if rest[0] != b'T' && rest[0] != b' ' || rest.len() < 6 || rest[3] != b':' {
            return None;
        }
        let h = two(&rest[1..3])?;
        let mi = two(&rest[4..6])?;
        if h > 23 || mi > 59 {
            return None;
        }
        secs += (h * 3600 + mi * 60) as i64;
        let mut r = &rest[6..];
        if r.len() >= 3 && r[0] == b':' {
            let s = two(&r[1..3])?;
            if s > 59 {
                return None;
            }
            secs += s as i64;
            r = &r[3..];
            if !r.is_empty() && r[0] == b'.' {
                let mut i = 1;
                while i < r.len() && r[i].is_ascii_digit() {
                    i += 1;
                }
                let f = &r[1..i];
                if f.is_empty() || f.len() > 9 {
                    return None;
                }
                frac_digits = f.len() as u32;
                for k in 0..9 {
                    nanos = nanos * 10 + f.get(k).map_or(0, |c| (c - b'0') as i64);
                }
                r = &r[i..];
            }
        }
        if !r.is_empty() {
            has_tz = true;
            if r == b"Z" {
            } else if r[0] == b'+' || r[0] == b'-' {
                let sign = if r[0] == b'-' { -1 } else { 1 };
                let (oh, om) = match r.len() {
                    3 => (two(&r[1..3])?, 0),
                    5 => (two(&r[1..3])?, two(&r[3..5])?),
                    6 if r[3] == b':' => (two(&r[1..3])?, two(&r[4..6])?),
                    _ => return None,
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                secs -= sign * (oh * 3600 + om * 60) as i64;
            } else {
                return None;
            }
        }
    }
    let value = match unit {
        TimeUnit::Second if nanos == 0 => secs,
        TimeUnit::Millisecond if nanos % 1_000_000 == 0 => secs.checked_mul(1000)? + nanos / 1_000_000,
        TimeUnit::Microsecond if nanos % 1000 == 0 => secs.checked_mul(1_000_000)? + nanos / 1000,
        TimeUnit::Nanosecond => secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
        _ => return None,
    };
    Some(ParsedTimestamp { value, has_tz, frac_digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> DataType {
        let mut s = ColumnState::default();
        for v in values {
            s.observe(v.as_bytes());
        }
        s.resolve()
    }

    #[test]
    fn doubles_that_would_change_the_number_are_not_doubles() {
        assert_eq!(parse_f64(b"1e400"), None, "overflow to infinity");
        assert_eq!(parse_f64(b"-1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None, "underflow to zero");
        assert_eq!(parse_f64(b"1.2345678e-320"), None, "a subnormal keeps fewer digits");
        assert_eq!(parse_f64(b"5e-324"), Some(5e-324));
        assert_eq!(parse_f64(b"0.000e-5"), Some(0.0));
        assert_eq!(parse_f64(b"1.7976931348623157e308"), Some(f64::MAX));
        assert_eq!(infer(&["1.5", "1e400"]), DataType::Utf8);
        assert_eq!(infer(&["1.5", "1e-400"]), DataType::Utf8);
    }

    #[test]
    fn infers_the_narrowest_exact_type() {
        assert_eq!(infer(&["1", "-2", "30"]), DataType::Int64);
        assert_eq!(infer(&["1", "2.5"]), DataType::Float64);
        assert_eq!(infer(&["true", "FALSE"]), DataType::Boolean);
        assert_eq!(infer(&["2024-01-31", "1999-12-01"]), DataType::Date32);
        assert_eq!(infer(&["2024-01-31 10:00:00", "2024-01-31"]), DataType::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(
            infer(&["2024-01-31T10:00:00Z", "2024-01-31T10:00:00+02:00"]),
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        assert_eq!(infer(&["2024-01-31T10:00:00.123456789"]), DataType::Timestamp(TimeUnit::Nanosecond, None));
    }

    #[test]
    fn never_loses_text() {
        assert_eq!(infer(&["007", "12"]), DataType::Utf8, "leading zeros are kept");
        assert_eq!(infer(&["2024-02-30"]), DataType::Utf8, "impossible date");
        assert_eq!(infer(&["2024-01-31T10:00:00Z", "2024-01-31T10:00:00"]), DataType::Utf8, "mixed zones");
        assert_eq!(infer(&["1.5", "abc"]), DataType::Utf8);
        assert_eq!(infer(&["12345678901234567890"]), DataType::Decimal128(20, 0));
        assert_eq!(infer(&["0.12345678901234567891", "1.5"]), DataType::Decimal128(21, 20));
        assert_eq!(infer(&["1.2345678901234567e5"]), DataType::Float64, "a printed double");
        assert_eq!(infer(&["3.6140969876899156e-08", "4.156211535843403e-06"]), DataType::Float64);
        assert_eq!(infer(&["1.23456789012345678901e5"]), DataType::Utf8, "too precise for a double, not plain");
        assert!(double_round_trips(b"0.1"));
        assert!(!double_round_trips(b"0.12345678901234567890"));
    }

    #[test]
    fn parses_values() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_date(b"1970-01-02"), Some(1));
        assert_eq!(parse_date(b"2000-02-29"), Some(11016));
        assert_eq!(parse_decimal(b"-1.5", 5, 2), Some(-150));
        assert_eq!(parse_decimal(b"1.555", 5, 2), None);
        let ts = parse_timestamp(b"1970-01-01T01:00:00+01:00", TimeUnit::Second).unwrap();
        assert_eq!((ts.value, ts.has_tz), (0, true));
        assert_eq!(parse_timestamp(b"1970-01-01 00:00:00.5", TimeUnit::Millisecond).unwrap().value, 500);
        assert!(parse_timestamp(b"1970-01-01 00:00:00.0000001", TimeUnit::Microsecond).is_none());
    }
}
