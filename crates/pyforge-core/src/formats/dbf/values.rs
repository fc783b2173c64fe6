//! Decoding of single field values from their stored bytes. Pure functions: `Ok(None)` is a
//! null, `Err` a description of why the bytes are not a value of the type (the caller adds the
//! file, record and field).

pub use crate::infer::{days_from_civil, days_in_month};

fn trim(b: &[u8]) -> &[u8] {
    let is_pad = |c: &u8| *c == b' ' || *c == 0;
    let start = b.iter().position(|c| !is_pad(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_pad(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// Show bytes in an error message.
pub fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// `D` field: `YYYYMMDD`; blank, all zeros or NULs is null.
pub fn date(b: &[u8]) -> Result<Option<i32>, String> {
    let t = trim(b);
    if t.is_empty() || t.iter().all(|&c| c == b'0') {
        return Ok(None);
    }
    if t.len() != 8 || !t.iter().all(u8::is_ascii_digit) {
        return Err(format!("invalid date {}", show(b)));
    }
    let n = |r: std::ops::Range<usize>| t[r].iter().fold(0u32, |a, &c| a * 10 + (c - b'0') as u32);
    let (y, m, d) = (n(0..4) as i64, n(4..6), n(6..8));
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("invalid date {}", show(b)));
    }
    Ok(Some(days_from_civil(y, m, d) as i32))
}

/// `L` field: T/t/Y/y true, F/f/N/n false, `?`, blank or NUL null.
pub fn logical(b: &[u8]) -> Result<Option<bool>, String> {
    match b.first().copied().unwrap_or(b' ') {
        b'T' | b't' | b'Y' | b'y' => Ok(Some(true)),
        b'F' | b'f' | b'N' | b'n' => Ok(Some(false)),
        b'?' | b' ' | 0 => Ok(None),
        _ => Err(format!("invalid logical value {}", show(b))),
    }
}

/// `N`/`F` field as a decimal scaled by `10^scale`, checked to fit `precision` digits. Blank
/// (spaces, NULs, or the `*` of an overflowed value) is null. Accepts a sign, a `.` or `,`
/// decimal separator and an exponent; a value with more decimals than `scale` (other than
/// trailing zeros) is an error, never rounded.
pub fn decimal(b: &[u8], precision: u8, scale: u8) -> Result<Option<i128>, String> {
    let t = trim(b);
    let t = {
        let s = t.iter().position(|&c| c != b'*').unwrap_or(t.len());
        let e = t.iter().rposition(|&c| c != b'*').map_or(s, |e| e + 1);
        trim(&t[s..e])
    };
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(v) = plain_decimal(t, precision, scale) {
        return Ok(Some(v));
    }
    let m = Mantissa::parse(t, b)?;
    let exp = exponent(m.rest, b)?;
    let v = shift_decimal(m.digits, exp - m.frac_digits + scale as i64, scale, b)?;
    if precision < 39 && v >= POW10[precision as usize] {
        return Err(format!("number {} has more digits than the column's precision {precision}", show(b)));
    }
    Ok(Some(if m.negative { -v } else { v }))
}

/// The error for bytes `b` that are not a number.
fn invalid_number(b: &[u8]) -> String {
    format!("invalid number {}", show(b))
}

/// The sign and digits of a number in the general form (what [`plain_decimal`] leaves).
struct Mantissa<'a> {
    negative: bool,
    /// The digits as an integer, separator ignored.
    digits: i128,
    /// How many of the digits follow the decimal separator.
    frac_digits: i64,
    /// What follows the digits: empty, or an exponent from its `e`/`E`.
    rest: &'a [u8],
}

impl<'a> Mantissa<'a> {
    /// Read the sign and digits of `t`, the trimmed bytes of field value `b` (for errors).
    fn parse(t: &'a [u8], b: &[u8]) -> Result<Mantissa<'a>, String> {
        let mut i = 0;
        let negative = match t[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut mant: i128 = 0;
        let mut digits = 0u32;
        let mut frac = 0i64;
        let mut seen_point = false;
        let mut any = false;
        while i < t.len() {
            match t[i] {
                c @ b'0'..=b'9' => {
                    any = true;
                    // Leading zeros do not count against the 38 digits an i128 holds.
                    if mant != 0 || c != b'0' {
                        digits += 1;
                    }
                    if digits > 38 {
                        return Err(format!("number {} has more than 38 digits", show(b)));
                    }
                    mant = mant * 10 + (c - b'0') as i128;
                    if seen_point {
                        frac += 1;
                    }
                }
                b'.' | b',' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(invalid_number(b)),
            }
            i += 1;
        }
        if !any {
            return Err(invalid_number(b));
        }
        Ok(Mantissa { negative, digits: mant, frac_digits: frac, rest: &t[i..] })
    }
}

/// The exponent in `rest` (empty: 0; else `e`/`E` then a signed integer of at most 100 in
/// magnitude); `b` is the field value, for errors.
fn exponent(rest: &[u8], b: &[u8]) -> Result<i64, String> {
    if rest.is_empty() {
        return Ok(0);
    }
    let e = std::str::from_utf8(&rest[1..]).map_err(|_| invalid_number(b))?;
    let exp = e.parse::<i64>().map_err(|_| invalid_number(b))?;
    if exp.abs() > 100 {
        return Err(invalid_number(b));
    }
    Ok(exp)
}

/// `v` times `10^shift`: an error when it overflows, or when a negative shift would drop a
/// non-zero digit (more decimals than the field's `scale`: never rounded).
fn shift_decimal(v: i128, shift: i64, scale: u8, b: &[u8]) -> Result<i128, String> {
    let mut v = v;
    if shift >= 0 {
        for _ in 0..shift {
            v = v.checked_mul(10).ok_or_else(|| format!("number {} does not fit", show(b)))?;
        }
    } else {
        for _ in 0..(-shift) {
            if v % 10 != 0 {
                return Err(format!("number {} has more than the field's {scale} decimal places", show(b)));
            }
            v /= 10;
        }
    }
    Ok(v)
}

/// Powers of ten up to 10^38.
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The common case, fast: `[-+]digits[.digits]` with at most 18 digits and no more decimals
/// than `scale`, fitting `precision`. `None` sends the text to the general parser (which also
/// produces the errors).
fn plain_decimal(t: &[u8], precision: u8, scale: u8) -> Option<i128> {
    let (neg, body) = match t.first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.len() > 19 || scale > 38 {
        return None;
    }
    let mut mant: u64 = 0;
    let mut frac: Option<u32> = None;
    let mut digits = 0u32;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                mant = mant * 10 + (c - b'0') as u64;
                digits += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    let frac = frac.unwrap_or(0);
    if digits == 0 || digits > 18 || frac > scale as u32 {
        return None;
    }
    let v = (mant as i128).checked_mul(POW10[(scale as u32 - frac) as usize])?;
    if precision < 39 && v >= POW10[precision as usize] {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Julian day number of 1970-01-01.
const UNIX_JULIAN: i64 = 2_440_588;
const DAY_MS: i64 = 86_400_000;

/// Visual FoxPro `T` field: little-endian Julian day and milliseconds since midnight, as
/// milliseconds since the Unix epoch. Julian day 0 (or blank) is null.
pub fn datetime(b: &[u8]) -> Result<Option<i64>, String> {
    if b.len() != 8 {
        return Err(format!("datetime field of {} bytes (expected 8)", b.len()));
    }
    if b.iter().all(|&c| c == b' ' || c == 0) {
        return Ok(None);
    }
    let day = u32::from_le_bytes(b[0..4].try_into().expect("4")) as i64;
    let ms = u32::from_le_bytes(b[4..8].try_into().expect("4")) as i64;
    if day == 0 {
        return Ok(None);
    }
    if ms >= DAY_MS {
        return Err(format!("invalid time of day ({ms} ms after midnight)"));
    }
    // Arrow's timestamps cover years -292 million..292 million; Julian days fit easily.
    Ok(Some((day - UNIX_JULIAN) * DAY_MS + ms))
}

/// Memo block number: 10 ASCII digits (dBase, FoxPro 2) or a little-endian u32 (Visual
/// FoxPro, 4 bytes). Blank or 0 means no memo.
pub fn memo_block(b: &[u8]) -> Result<Option<u64>, String> {
    if b.len() == 4 {
        let n = u32::from_le_bytes(b.try_into().expect("4")) as u64;
        return Ok((n != 0).then_some(n));
    }
    let t = trim(b);
    if t.is_empty() {
        return Ok(None);
    }
    if !t.iter().all(u8::is_ascii_digit) || t.len() > 18 {
        return Err(format!("invalid memo block number {}", show(b)));
    }
    let n = t.iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
    Ok((n != 0).then_some(n))
}

/// dBase 7 big-endian integers and doubles store the sign bit flipped, so that they sort as
/// bytes.
pub fn dbase7_i32(b: &[u8]) -> Option<i32> {
    if b.iter().all(|&c| c == 0) {
        return None;
    }
    let u = u32::from_be_bytes(b.try_into().ok()?);
    Some((u ^ 0x8000_0000) as i32)
}

/// See [`dbase7_i32`].
pub fn dbase7_f64(b: &[u8]) -> Option<f64> {
    if b.iter().all(|&c| c == 0) {
        return None;
    }
    let u = u64::from_be_bytes(b.try_into().ok()?);
    let bits = if u & (1 << 63) != 0 { u ^ (1 << 63) } else { !u };
    Some(f64::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_general_decimal_paths_agree() {
        type Case = (&'static str, u8, u8, Result<Option<i128>, ()>);
        let cases: &[Case] = &[
            ("  12.50", 12, 2, Ok(Some(1250))),
            ("-0.5", 5, 2, Ok(Some(-50))),
            ("+7", 5, 2, Ok(Some(700))),
            (".25", 4, 2, Ok(Some(25))),
            ("5.", 4, 0, Ok(Some(5))),
            ("1.230", 6, 2, Ok(Some(123))),
            ("1.234", 6, 2, Err(())),
            ("99999", 4, 0, Err(())),
            ("999999999999999999", 18, 0, Ok(Some(999_999_999_999_999_999))),
            ("12345678901234567890", 20, 0, Ok(Some(12_345_678_901_234_567_890))),
            ("1e3", 6, 0, Ok(Some(1000))),
            ("-", 4, 0, Err(())),
            ("1-2", 4, 0, Err(())),
        ];
        for (text, p, sc, want) in cases {
            let got = decimal(text.as_bytes(), *p, *sc).map_err(|_| ());
            assert_eq!(&got, want, "{text:?} as ({p},{sc})");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(date(b"19700101"), Ok(Some(0)));
        assert_eq!(date(b"20240229"), Ok(Some(19782)));
        assert_eq!(date(b"        "), Ok(None));
        assert_eq!(date(b"00000000"), Ok(None));
        assert_eq!(date(b"\0\0\0\0\0\0\0\0"), Ok(None));
        assert!(date(b"20230229").is_err());
        assert!(date(b"NotAYear").is_err());
    }

    #[test]
    fn logicals() {
        assert_eq!(logical(b"T"), Ok(Some(true)));
        assert_eq!(logical(b"y"), Ok(Some(true)));
        assert_eq!(logical(b"N"), Ok(Some(false)));
        assert_eq!(logical(b"?"), Ok(None));
        assert_eq!(logical(b" "), Ok(None));
        assert!(logical(b"X").is_err());
    }

    #[test]
    fn numbers_keep_every_digit() {
        assert_eq!(decimal(b"   12.345", 10, 3), Ok(Some(12345)));
        assert_eq!(decimal(b"  -0.5", 10, 2), Ok(Some(-50)));
        assert_eq!(decimal(b"      ", 10, 2), Ok(None));
        assert_eq!(decimal(b"******", 10, 2), Ok(None));
        assert_eq!(decimal(b"1234.  \0\0", 50, 0), Ok(Some(1234)));
        assert_eq!(decimal(b"12,5", 10, 1), Ok(Some(125)));
        assert_eq!(decimal(b"1.5E+3", 20, 2), Ok(Some(150000)));
        assert_eq!(decimal(b"12.50", 10, 1), Ok(Some(125)));
        assert!(decimal(b"12.55", 10, 1).is_err());
        assert!(decimal(b"1 2", 10, 0).is_err());
        assert!(decimal(b"-", 10, 0).is_err());
        assert!(decimal(b"123456", 5, 0).is_err());
        assert_eq!(decimal(b"99999999999999999999", 20, 0), Ok(Some(99_999_999_999_999_999_999)));
    }

    #[test]
    fn foxpro_datetimes() {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&2_440_588u32.to_le_bytes());
        b[4..].copy_from_slice(&3_600_000u32.to_le_bytes());
        assert_eq!(datetime(&b), Ok(Some(3_600_000)));
        assert_eq!(datetime(&[0; 8]), Ok(None));
        assert_eq!(datetime(b"        "), Ok(None));
        b[4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(datetime(&b).is_err());
    }

    #[test]
    fn memo_blocks() {
        assert_eq!(memo_block(b"         5"), Ok(Some(5)));
        assert_eq!(memo_block(b"          "), Ok(None));
        assert_eq!(memo_block(&7u32.to_le_bytes()), Ok(Some(7)));
        assert_eq!(memo_block(&0u32.to_le_bytes()), Ok(None));
        assert!(memo_block(b"     x    ").is_err());
    }

    #[test]
    fn dbase7_numbers() {
        assert_eq!(dbase7_i32(&(5u32 ^ 0x8000_0000).to_be_bytes()), Some(5));
        assert_eq!(dbase7_i32(&((-5i32) as u32 ^ 0x8000_0000).to_be_bytes()), Some(-5));
        let enc = |v: f64| {
            let u = v.to_bits();
            (if v >= 0.0 { u | (1 << 63) } else { !u }).to_be_bytes()
        };
        assert_eq!(dbase7_f64(&enc(1.5)), Some(1.5));
        assert_eq!(dbase7_f64(&enc(-2.25)), Some(-2.25));
    }
}
