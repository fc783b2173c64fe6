//! Databases the project generates with the writer: the `pyforge samples` database and the
//! large benchmark database.

use std::path::Path;

use super::{Column, ColumnType as T, JetWriter, Value, WriteResult};

// The project's one seedable generator: the samples are the same bytes on every run and
// every machine.
use crate::rng::SplitMix64 as Rng;

/// 2024-01-01 00:00:00 in microseconds since 1970.
const Y2024: i64 = 1_704_067_200_000_000;
const DAY: i64 = 86_400_000_000;

const CUSTOMERS: [&str; 12] = [
    "Alfreds Futterkiste",
    "Ana Trujillo Emparedados",
    "Antonio Moreno Taquería",
    "Around the Horn",
    "Berglunds snabbköp",
    "Blauer See Delikatessen",
    "Blondel père et fils",
    "Bólido Comidas preparadas",
    "Café Ωmega",
    "東京トレーディング",
    "Łódź Hurtownia",
    "Ägypten Import & Söhne",
];
const CITIES: [&str; 8] = ["Berlin", "México D.F.", "London", "Luleå", "Mannheim", "Strasbourg", "Kraków", "東京"];
const PRODUCTS: [&str; 10] = [
    "Chai",
    "Chang",
    "Aniseed Syrup",
    "Chef Anton's Cajun Seasoning",
    "Grandma's Boysenberry Spread",
    "Uncle Bob's Organic Dried Pears",
    "Northwoods Cranberry Sauce",
    "Mishi Kobe Niku",
    "Ikura",
    "Queso Cabrales",
];

/// The `pyforge samples` database: Customers (text, unicode, NULLs, memos inline and long),
/// Products (Byte, Integer, Single, Currency, Decimal, Yes/No, GUID, OLE) and Orders (Long
/// Integer, Date/Time, Double, Currency) — 3 tables, a few hundred rows. Every table and some
/// columns have a description (Unicode, quotes), for the schema's comments.
pub fn northwind_mini(path: &Path) -> WriteResult<()> {
    let mut db = JetWriter::create(path)?;
    // One generator for the three tables, in this order: each table's values depend on it.
    let mut rng = Rng(20_240_601);
    customers(&mut db, &mut rng)?;
    products(&mut db, &mut rng)?;
    orders(&mut db, &mut rng)?;
    db.finish()
}

/// The sample's `Customers` table: 60 rows.
fn customers(db: &mut JetWriter, rng: &mut Rng) -> WriteResult<()> {
    let mut t = db.table(
        "Customers",
        vec![
            Column::new("CustomerID", T::Long).described("Number that identifies the customer"),
            Column::new("CompanyName", T::Text(40)).described("The customer's registered name — raison sociale"),
            Column::new("City", T::Text(15)),
            Column::new("Since", T::DateTime),
            Column::new("Active", T::Bool),
            Column::new("CreditLimit", T::Currency).described("Credit granted, in euros (€); NULL: none agreed"),
            Column::new("Notes", T::Memo),
        ],
    )?;
    t.describe("Customers of the shop: one row per customer, with their \"since\" date and credit")?;
    for i in 0..60i64 {
        let notes = match i % 6 {
            0 => Value::Null,
            1 => Value::Text("Prefers e-mail.\r\nCalls on Tuesdays; café owner, \"VIP\", comma, here.".into()),
            2 => Value::Text(format!(
                "Long history — {}",
                "order placed, delivered, invoiced, paid; ".repeat(120 + i as usize)
            )),
            3 => Value::Text("Ünïcödé memo: Ωμέγα, Привет, 東京, עברית".into()),
            4 => Value::Text("Ж".repeat(2500)),
            _ => Value::Text(format!("Customer #{i}")),
        };
        t.push(&[
            Value::Long(i as i32 + 1),
            Value::Text(format!("{} {}", CUSTOMERS[i as usize % CUSTOMERS.len()], i / 12 + 1)),
            if i % 9 == 4 { Value::Null } else { Value::Text(CITIES[rng.below(8) as usize].into()) },
            if i % 10 == 7 {
                Value::Null
            } else {
                Value::DateTime(Y2024 - rng.below(8000) as i64 * DAY + rng.below(86_400) as i64 * 1_000_000)
            },
            Value::Bool(i % 3 != 0),
            if i % 11 == 5 { Value::Null } else { Value::Currency((rng.below(20_000_000) as i64 - 1_000_000) * 10) },
            notes,
        ])?;
    }
    t.finish()
}

/// The sample's `Products` table: 40 rows.
fn products(db: &mut JetWriter, rng: &mut Rng) -> WriteResult<()> {
    let mut t = db.table(
        "Products",
        vec![
            Column::new("ProductID", T::Integer).described("Number that identifies the product"),
            Column::new("ProductName", T::Text(40)),
            Column::new("CategoryID", T::Byte),
            Column::new("UnitPrice", T::Currency).described("Price of one unit, before tax"),
            Column::new("Weight", T::Single),
            Column::new("TaxRate", T::Decimal { precision: 10, scale: 4 }),
            Column::new("Discontinued", T::Bool),
            Column::new("ReplicaID", T::Guid),
            Column::new("Picture", T::Ole),
        ],
    )?;
    t.describe("Products on sale, with price, weight, tax rate and a picture")?;
    for i in 0..40i64 {
        let mut guid = [0u8; 16];
        guid.iter_mut().for_each(|b| *b = rng.below(256) as u8);
        t.push(&[
            Value::Integer(i as i16 + 1),
            Value::Text(format!("{} ({})", PRODUCTS[i as usize % PRODUCTS.len()], i / 10 + 1)),
            if i % 7 == 3 { Value::Null } else { Value::Byte((1 + i % 8) as u8) },
            Value::Currency(rng.below(5_000_000) as i64 + 1),
            if i % 8 == 6 { Value::Null } else { Value::Single(rng.below(4000) as f32 / 16.0) },
            if i % 5 == 4 {
                Value::Null
            } else {
                Value::Decimal(if i % 13 == 0 { -1250 } else { rng.below(250_000) as i128 })
            },
            Value::Bool(i % 4 == 0),
            if i % 6 == 1 { Value::Null } else { Value::Guid(guid) },
            match i % 4 {
                0 => Value::Null,
                1 => Value::Binary(b"\x89PNG\r\n\x1a\n tiny".to_vec()),
                _ => Value::Binary((0..(1000 + 2000 * (i % 5) as u32)).map(|x| (x * 31 + i as u32) as u8).collect()),
            },
        ])?;
    }
    t.finish()
}

/// The sample's `Orders` table: 400 rows.
fn orders(db: &mut JetWriter, rng: &mut Rng) -> WriteResult<()> {
    let mut t = db.table(
        "Orders",
        vec![
            Column::new("OrderID", T::Long).described("Number that identifies the order"),
            Column::new("CustomerID", T::Long).described("The customer who ordered (Customers.CustomerID)"),
            Column::new("ProductID", T::Integer).described("The product ordered (Products.ProductID)"),
            Column::new("OrderDate", T::DateTime),
            Column::new("Quantity", T::Integer),
            Column::new("Freight", T::Currency),
            Column::new("Discount", T::Double),
            Column::new("ShipCity", T::Text(15)),
        ],
    )?;
    t.describe("Orders: who ordered which product, when, and the freight charged")?;
    for i in 0..400i64 {
        t.push(&[
            Value::Long(10_248 + i as i32),
            Value::Long(1 + rng.below(60) as i32),
            Value::Integer(1 + rng.below(40) as i16),
            Value::DateTime(Y2024 + i * DAY / 3 + rng.below(3600) as i64 * 1_000_000),
            Value::Integer(1 + rng.below(120) as i16),
            if i % 17 == 0 { Value::Null } else { Value::Currency(rng.below(10_000_000) as i64) },
            Value::Double(rng.below(21) as f64 / 100.0),
            if i % 19 == 2 { Value::Null } else { Value::Text(CITIES[rng.below(8) as usize].into()) },
        ])?;
    }
    t.finish()
}

/// A large database for the benchmark: tables `Orders1`, `Orders2`... of order rows (numbers,
/// dates, currency, text, a memo column mostly short and sometimes long) until the file reaches
/// about `megabytes` MB. Gives the number of rows written.
pub fn large(path: &Path, megabytes: u64) -> WriteResult<u64> {
    const ROWS_PER_TABLE: u64 = 1_000_000;
    let mut db = JetWriter::create(path)?;
    let mut rng = Rng(7);
    let target = megabytes * 1_000_000;
    let (mut rows, mut table) = (0u64, 0);
    let columns = vec![
        Column::new("OrderID", T::Long),
        Column::new("Customer", T::Text(50)),
        Column::new("City", T::Text(20)),
        Column::new("OrderDate", T::DateTime),
        Column::new("Quantity", T::Integer),
        Column::new("UnitPrice", T::Currency),
        Column::new("Discount", T::Double),
        Column::new("Shipped", T::Bool),
        Column::new("Comment", T::Memo),
    ];
    while db.bytes_written() < target {
        table += 1;
        let mut t = db.table(&format!("Orders{table}"), columns.clone())?;
        for _ in 0..ROWS_PER_TABLE {
            rows += 1;
            let comment = match rng.below(50) {
                0..=19 => Value::Null,
                20..=47 => Value::Text(format!("Deliver to door {}, ring twice.", rng.below(300))),
                48 => Value::Text(format!("Complaint: {}", "the parcel arrived late and damaged; ".repeat(30))),
                _ => Value::Text("Lieferung über Straße — naïve café 東京 ".repeat(40)),
            };
            t.push(&[
                Value::Long(rows as i32),
                Value::Text(format!("{} {}", CUSTOMERS[rng.below(12) as usize], rng.below(1000))),
                if rng.below(20) == 0 { Value::Null } else { Value::Text(CITIES[rng.below(8) as usize].into()) },
                Value::DateTime(Y2024 - rng.below(3650) as i64 * DAY + rng.below(86_400) as i64 * 1_000_000),
                Value::Integer(1 + rng.below(500) as i16),
                Value::Currency(rng.below(100_000_000) as i64),
                if rng.below(10) == 0 { Value::Null } else { Value::Double(rng.below(30) as f64 / 100.0) },
                Value::Bool(rng.below(2) == 0),
                comment,
            ])?;
            if rows % 4096 == 0 && t.bytes_written() >= target {
                break;
            }
        }
        t.finish()?;
    }
    db.finish()?;
    Ok(rows)
}
