//! A tiny PDF writer for samples and tests: one Helvetica text block per page, blank pages
//! allowed, a document information dictionary. Hand-written (a few dozen lines) rather than a
//! PDF-writing dependency: the structure needed is fixed and small.

/// Build a PDF whose page `i` shows the lines of `pages[i]` (an empty slice: a blank page).
/// Text must be ASCII. `title` and `author` go into the information dictionary.
///
/// ```
/// let pdf = pyforge_samples::pdf::sample_pdf(&[&["Hello"], &[]], "T", "A");
/// assert!(pdf.starts_with(b"%PDF-1.4"));
/// ```
pub fn sample_pdf(pages: &[&[&str]], title: &str, author: &str) -> Vec<u8> {
    let n = pages.len();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(
        format!(
            "<< /Title ({}) /Author ({}) /Producer (PyForge samples) /CreationDate (D:20240315093000+01'00') /ModDate (D:20240316120000Z) >>",
            escape(title),
            escape(author)
        )
        .into_bytes(),
    );
    for (i, lines) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let mut content = String::new();
        if !lines.is_empty() {
            content.push_str("BT /F1 12 Tf 16 TL 72 720 Td");
            for (k, line) in lines.iter().enumerate() {
                if k > 0 {
                    content.push_str(" T*");
                }
                content.push_str(&format!(" ({}) Tj", escape(line)));
            }
            content.push_str(" ET");
        }
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1).into_bytes());
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)")
}
