//! Reading the outbox's .eml files back in tests. Shared by the `functions` tests and the
//! end-to-end tests (tests/serve_flow.rs includes this file), so both read mails the same way.

/// The readable text of an .eml file: headers as they are, each part's body decoded
/// (quoted-printable or base64), so checks see what the reader sees.
pub fn decode_mail(raw: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut encoding = String::new();
    let mut in_body = false;
    let mut chunk = String::new();
    let flush = |encoding: &str, chunk: &mut String, out: &mut String| {
        let decoded = match encoding {
            "base64" => {
                let joined: String = chunk.split_whitespace().collect();
                String::from_utf8_lossy(
                    &base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .unwrap_or_default(),
                )
                .into_owned()
            }
            "quoted-printable" => {
                let joined = chunk.replace("=\r\n", "").replace("=\n", "");
                let bytes = joined.as_bytes();
                let mut decoded = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'='
                        && let Some(hex) = joined.get(i + 1..i + 3)
                        && let Ok(b) = u8::from_str_radix(hex, 16)
                    {
                        decoded.push(b);
                        i += 3;
                        continue;
                    }
                    decoded.push(bytes[i]);
                    i += 1;
                }
                String::from_utf8_lossy(&decoded).into_owned()
            }
            _ => chunk.clone(),
        };
        out.push_str(&decoded);
        chunk.clear();
    };
    for line in raw.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with("--") {
            flush(&encoding, &mut chunk, &mut out);
            in_body = false;
            encoding.clear();
            out.push_str(line);
            continue;
        }
        if !in_body {
            if let Some(e) = trimmed
                .to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
            {
                encoding = e.trim().to_string();
            }
            if trimmed.is_empty() {
                in_body = true;
            }
            out.push_str(line);
        } else {
            chunk.push_str(line);
        }
    }
    flush(&encoding, &mut chunk, &mut out);
    out
}
