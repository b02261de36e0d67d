//! UUIDs as MISP validates them: in sync paths (`request`) and in UUID-list bodies
//! (`rules::shape`).

/// A UUID as MISP validates one (`Validation::uuid`): 8-4-4-4-12 hexadecimal digits,
/// either case, nothing else (no braces, no `urn:`, no white space).
pub fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_syntax_is_strict() {
        assert!(is_uuid(b"385283a1-b5e0-4e10-a532-dce11c365a56"));
        assert!(is_uuid(b"385283A1-B5E0-4E10-A532-DCE11C365A56"));
        for bad in [
            &b"385283a1-b5e0-4e10-a532-dce11c365a5"[..],
            b"385283a1-b5e0-4e10-a532-dce11c365a567",
            b"385283a1b5e0-4e10-a532-dce11c365a56-",
            b"385283g1-b5e0-4e10-a532-dce11c365a56",
            b"{85283a1-b5e0-4e10-a532-dce11c365a5}",
            b" 385283a1-b5e0-4e10-a532-dce11c365a5",
            b"",
        ] {
            assert!(!is_uuid(bad), "{}", std::string::String::from_utf8_lossy(bad));
        }
    }
}
