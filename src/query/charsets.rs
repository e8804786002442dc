//! Character sets and collations the metadata statements name: ids (as the protocol
//! sends them), names, defaults and bytes per character (`SHOW CHARSET`, `SHOW
//! COLLATION`, `SET NAMES`, `information_schema.COLUMNS`).

/// One collation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collation {
    /// Protocol id.
    pub id: u16,
    /// Name, e.g. `utf8mb4_general_ci`.
    pub name: &'static str,
    /// Its character set.
    pub charset: &'static str,
    /// True for the character set's default collation (MariaDB's defaults).
    pub is_default: bool,
}

const fn c(id: u16, name: &'static str, charset: &'static str, is_default: bool) -> Collation {
    Collation {
        id,
        name,
        charset,
        is_default,
    }
}

/// Known collations, by id.
pub const COLLATIONS: &[Collation] = &[
    c(1, "big5_chinese_ci", "big5", true),
    c(5, "latin1_german1_ci", "latin1", false),
    c(7, "koi8r_general_ci", "koi8r", true),
    c(8, "latin1_swedish_ci", "latin1", true),
    c(9, "latin2_general_ci", "latin2", true),
    c(11, "ascii_general_ci", "ascii", true),
    c(13, "sjis_japanese_ci", "sjis", true),
    c(19, "euckr_korean_ci", "euckr", true),
    c(24, "gb2312_chinese_ci", "gb2312", true),
    c(28, "gbk_chinese_ci", "gbk", true),
    c(33, "utf8mb3_general_ci", "utf8mb3", true),
    c(35, "ucs2_general_ci", "ucs2", true),
    c(45, "utf8mb4_general_ci", "utf8mb4", true),
    c(46, "utf8mb4_bin", "utf8mb4", false),
    c(47, "latin1_bin", "latin1", false),
    c(48, "latin1_general_ci", "latin1", false),
    c(49, "latin1_general_cs", "latin1", false),
    c(51, "cp1251_general_ci", "cp1251", true),
    c(54, "utf16_general_ci", "utf16", true),
    c(57, "cp1256_general_ci", "cp1256", true),
    c(60, "utf32_general_ci", "utf32", true),
    c(63, "binary", "binary", true),
    c(65, "ascii_bin", "ascii", false),
    c(83, "utf8mb3_bin", "utf8mb3", false),
    c(192, "utf8mb3_unicode_ci", "utf8mb3", false),
    c(224, "utf8mb4_unicode_ci", "utf8mb4", false),
    c(246, "utf8mb4_unicode_520_ci", "utf8mb4", false),
    c(255, "utf8mb4_0900_ai_ci", "utf8mb4", false),
    c(2304, "utf8mb4_uca1400_ai_ci", "utf8mb4", false),
];

/// Character sets: name, description, bytes per character at most.
pub const CHARSETS: &[(&str, &str, u32)] = &[
    ("ascii", "US ASCII", 1),
    ("big5", "Big5 Traditional Chinese", 2),
    ("binary", "Binary pseudo charset", 1),
    ("cp1251", "Windows Cyrillic", 1),
    ("cp1256", "Windows Arabic", 1),
    ("euckr", "EUC-KR Korean", 2),
    ("gb2312", "GB2312 Simplified Chinese", 2),
    ("gbk", "GBK Simplified Chinese", 2),
    ("koi8r", "KOI8-R Relcom Russian", 1),
    ("latin1", "cp1252 West European", 1),
    ("latin2", "ISO 8859-2 Central European", 1),
    ("sjis", "Shift-JIS Japanese", 2),
    ("ucs2", "UCS-2 Unicode", 2),
    ("utf16", "UTF-16 Unicode", 4),
    ("utf32", "UTF-32 Unicode", 4),
    ("utf8mb3", "UTF-8 Unicode", 3),
    ("utf8mb4", "UTF-8 Unicode", 4),
];

/// The canonical name of a character set (`utf8` is `utf8mb3`), lower-case.
pub fn canonical_charset(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "utf8" {
        "utf8mb3".into()
    } else {
        n
    }
}

/// A collation by name (`utf8_…` names are read as `utf8mb3_…`).
pub fn by_name(name: &str) -> Option<&'static Collation> {
    let n = name.to_ascii_lowercase();
    let n = match n.strip_prefix("utf8_") {
        Some(rest) => format!("utf8mb3_{rest}"),
        None => n,
    };
    COLLATIONS.iter().find(|c| c.name == n)
}

/// A collation by protocol id.
pub fn by_id(id: u16) -> Option<&'static Collation> {
    COLLATIONS.iter().find(|c| c.id == id)
}

/// The default collation of a character set; MySQL 8's utf8mb4 default is
/// `utf8mb4_0900_ai_ci`, MariaDB's `utf8mb4_general_ci`.
pub fn default_collation(charset: &str, mariadb: bool) -> Option<&'static Collation> {
    let cs = canonical_charset(charset);
    if cs == "utf8mb4" && !mariadb {
        return by_name("utf8mb4_0900_ai_ci");
    }
    COLLATIONS.iter().find(|c| c.charset == cs && c.is_default)
}

/// Bytes per character at most of a character set (1 when unknown).
pub fn max_len(charset: &str) -> u32 {
    let cs = canonical_charset(charset);
    CHARSETS
        .iter()
        .find(|(n, _, _)| *n == cs)
        .map(|(_, _, l)| *l)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ids_and_defaults() {
        assert_eq!(by_name("utf8mb4_general_ci").map(|c| c.id), Some(45));
        assert_eq!(by_name("UTF8_GENERAL_CI").map(|c| c.id), Some(33));
        assert_eq!(by_id(63).map(|c| c.name), Some("binary"));
        assert_eq!(default_collation("latin1", true).map(|c| c.id), Some(8));
        assert_eq!(default_collation("utf8mb4", false).map(|c| c.id), Some(255));
        assert_eq!(default_collation("utf8", true).map(|c| c.id), Some(33));
        assert_eq!(max_len("utf8mb4"), 4);
    }
}
