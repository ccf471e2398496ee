//! A request's reference: what the patient and the coordinator quote, e.g. "K7M4P9QX".

/// Length of a request's reference.
pub const REFERENCE_LEN: usize = 8;

/// "K7M4P9QX": whether `s` looks like a reference.
pub fn is_reference(s: &str) -> bool {
    s.len() == REFERENCE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}
