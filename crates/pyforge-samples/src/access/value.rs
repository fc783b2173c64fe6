//! Column types, column definitions and the values the writer takes.

/// A Jet4 column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Yes/No (stored in the row's null mask; never NULL).
    Bool,
    /// Byte, 0..=255.
    Byte,
    /// Integer, 16 bits.
    Integer,
    /// Long Integer, 32 bits.
    Long,
    /// Currency: 64-bit integer of ten-thousandths.
    Currency,
    /// Single, 32-bit float.
    Single,
    /// Double, 64-bit float.
    Double,
    /// Date/Time.
    DateTime,
    /// Binary of at most this many bytes (1..=255).
    Binary(u8),
    /// Text of at most this many characters (1..=255).
    Text(u8),
    /// OLE Object: long binary.
    Ole,
    /// Memo: long text.
    Memo,
    /// Replication ID (GUID).
    Guid,
    /// Decimal with precision (1..=28) and scale (0..=precision).
    Decimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
}

impl ColumnType {
    /// The type code of the table definition.
    pub(super) fn code(self) -> u8 {
        match self {
            ColumnType::Bool => 0x01,
            ColumnType::Byte => 0x02,
            ColumnType::Integer => 0x03,
            ColumnType::Long => 0x04,
            ColumnType::Currency => 0x05,
            ColumnType::Single => 0x06,
            ColumnType::Double => 0x07,
            ColumnType::DateTime => 0x08,
            ColumnType::Binary(_) => 0x09,
            ColumnType::Text(_) => 0x0A,
            ColumnType::Ole => 0x0B,
            ColumnType::Memo => 0x0C,
            ColumnType::Guid => 0x0F,
            ColumnType::Decimal { .. } => 0x10,
        }
    }

    /// Bytes in the fixed part of the row, or None for variable-length types.
    pub(super) fn fixed_size(self) -> Option<usize> {
        match self {
            ColumnType::Bool => Some(0),
            ColumnType::Byte => Some(1),
            ColumnType::Integer => Some(2),
            ColumnType::Long | ColumnType::Single => Some(4),
            ColumnType::Currency | ColumnType::Double | ColumnType::DateTime => Some(8),
            ColumnType::Guid => Some(16),
            ColumnType::Decimal { .. } => Some(17),
            ColumnType::Binary(_) | ColumnType::Text(_) | ColumnType::Ole | ColumnType::Memo => None,
        }
    }

    /// The column length of the table definition.
    pub(super) fn declared_len(self) -> u16 {
        match self {
            ColumnType::Bool => 1,
            ColumnType::Text(n) => u16::from(n) * 2,
            ColumnType::Binary(n) => u16::from(n),
            ColumnType::Ole | ColumnType::Memo => 0,
            t => t.fixed_size().unwrap_or(0) as u16,
        }
    }
}

/// A column: name, type and description. Every column except Yes/No accepts NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name (at most 64 characters).
    pub name: String,
    /// Its type.
    pub kind: ColumnType,
    /// Its Description property (what Access shows in design view), 1 to 255 characters.
    pub description: Option<String>,
}

impl Column {
    /// A column named `name` of type `kind`.
    pub fn new(name: &str, kind: ColumnType) -> Self {
        Column { name: name.to_string(), kind, description: None }
    }

    /// This column with the description `text`.
    pub fn described(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }
}

/// One value of a row. The variant must match the column's type (or be `Null`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL (not for Yes/No columns).
    Null,
    /// Yes/No.
    Bool(bool),
    /// Byte.
    Byte(u8),
    /// Integer.
    Integer(i16),
    /// Long Integer.
    Long(i32),
    /// Currency in ten-thousandths (12.5 is `Currency(125_000)`).
    Currency(i64),
    /// Single.
    Single(f32),
    /// Double.
    Double(f64),
    /// Date/Time as microseconds since 1970-01-01 00:00:00 (stored as OLE days, so to about
    /// a microsecond near today).
    DateTime(i64),
    /// Text or Memo.
    Text(String),
    /// Binary or OLE Object.
    Binary(Vec<u8>),
    /// Replication ID in its textual byte order: `{00112233-4455-6677-8899-AABBCCDDEEFF}` is
    /// `[0x00, 0x11, ..., 0xFF]`.
    Guid([u8; 16]),
    /// Decimal: the unscaled integer (12.34 in a scale-2 column is `Decimal(1234)`).
    Decimal(i128),
}
