//! Where in the source's binary log a change is: file:pos, and the GTID state.

use std::fmt;

use serde::Serialize;

/// A MariaDB GTID `domain-server-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct MariaGtid {
    /// Replication domain id.
    pub domain: u32,
    /// Server id that originated the transaction.
    pub server: u32,
    /// Sequence number within the domain.
    pub seq: u64,
}

impl fmt::Display for MariaGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

impl std::str::FromStr for MariaGtid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut it = s.trim().splitn(3, '-');
        let bad =
            || format!("`{s}` is not a MariaDB GTID (expected domain-server-seq, e.g. 0-1-42)");
        let domain = it.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let server = it.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let seq = it.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        Ok(MariaGtid {
            domain,
            server,
            seq,
        })
    }
}

/// A MySQL GTID `uuid:gno` (optionally tagged, `uuid:tag:gno`, MySQL 8.4+).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MySqlGtid {
    /// Source UUID in canonical text form.
    pub uuid: String,
    /// Tag (MySQL 8.4+), empty when untagged.
    pub tag: String,
    /// Transaction number.
    pub gno: u64,
}

impl fmt::Display for MySqlGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tag.is_empty() {
            write!(f, "{}:{}", self.uuid, self.gno)
        } else {
            write!(f, "{}:{}:{}", self.uuid, self.tag, self.gno)
        }
    }
}

/// The GTID of one transaction, in either flavor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Gtid {
    /// MySQL `uuid[:tag]:gno`.
    MySql(MySqlGtid),
    /// MariaDB `domain-server-seq`.
    MariaDb(MariaGtid),
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtid::MySql(g) => g.fmt(f),
            Gtid::MariaDb(g) => g.fmt(f),
        }
    }
}

/// A MySQL GTID set: per (uuid, tag), sorted disjoint closed intervals of gnos.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MySqlGtidSet {
    /// (uuid, tag) → intervals `[start, end]` inclusive, sorted and merged.
    pub sids: std::collections::BTreeMap<(String, String), Vec<(u64, u64)>>,
}

impl MySqlGtidSet {
    /// Adds one transaction to the set, merging adjacent intervals.
    pub fn add(&mut self, gtid: &MySqlGtid) {
        let ivs = self
            .sids
            .entry((gtid.uuid.clone(), gtid.tag.clone()))
            .or_default();
        add_interval(ivs, gtid.gno, gtid.gno);
    }

    /// Adds an inclusive interval of gnos for one source.
    pub fn add_interval(&mut self, uuid: &str, tag: &str, start: u64, end: u64) {
        let ivs = self
            .sids
            .entry((uuid.to_string(), tag.to_string()))
            .or_default();
        add_interval(ivs, start, end);
    }

    /// True if the set holds this transaction.
    pub fn contains(&self, gtid: &MySqlGtid) -> bool {
        self.sids
            .get(&(gtid.uuid.clone(), gtid.tag.clone()))
            .is_some_and(|ivs| ivs.iter().any(|(s, e)| *s <= gtid.gno && gtid.gno <= *e))
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.sids.is_empty()
    }
}

fn add_interval(ivs: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    ivs.push((start, end));
    ivs.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ivs.len());
    for (s, e) in ivs.drain(..) {
        match merged.last_mut() {
            Some((_, le)) if s <= le.saturating_add(1) => *le = (*le).max(e),
            _ => merged.push((s, e)),
        }
    }
    *ivs = merged;
}

impl fmt::Display for MySqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first_uuid = true;
        let mut last_uuid: Option<&str> = None;
        for ((uuid, tag), ivs) in &self.sids {
            if last_uuid == Some(uuid.as_str()) {
                // Same uuid, another tag: MySQL prints `uuid:1-5:tag:1-3`.
            } else {
                if !first_uuid {
                    f.write_str(",\n")?;
                }
                f.write_str(uuid)?;
                first_uuid = false;
                last_uuid = Some(uuid);
            }
            if !tag.is_empty() {
                write!(f, ":{tag}")?;
            }
            for (s, e) in ivs {
                if s == e {
                    write!(f, ":{s}")?;
                } else {
                    write!(f, ":{s}-{e}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for MySqlGtidSet {
    type Err = String;
    /// Parses MySQL's text form: `uuid:1-5:7,uuid2[:tag]:1-3` (whitespace and newlines ignored).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut set = MySqlGtidSet::default();
        let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        for part in cleaned.split(',').filter(|p| !p.is_empty()) {
            let mut fields = part.split(':');
            let uuid = fields.next().unwrap_or_default().to_ascii_lowercase();
            if !is_uuid(&uuid) {
                return Err(format!("`{part}`: `{uuid}` is not a server UUID"));
            }
            let mut tag = String::new();
            let mut any = false;
            for field in fields {
                if field.starts_with(|c: char| c.is_ascii_digit()) {
                    let (a, b) = match field.split_once('-') {
                        Some((a, b)) => (a, b),
                        None => (field, field),
                    };
                    let (a, b): (u64, u64) = match (a.parse(), b.parse()) {
                        (Ok(a), Ok(b)) if a >= 1 && a <= b => (a, b),
                        _ => {
                            return Err(format!("`{part}`: `{field}` is not an interval like 1-5"))
                        }
                    };
                    set.add_interval(&uuid, &tag, a, b);
                    any = true;
                } else if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !field.is_empty()
                {
                    tag = field.to_ascii_lowercase();
                } else {
                    return Err(format!(
                        "`{part}`: `{field}` is neither an interval nor a tag"
                    ));
                }
            }
            if !any {
                return Err(format!("`{part}` has no interval (expected uuid:1-5)"));
            }
        }
        Ok(set)
    }
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// MariaDB GTID state: the last GTID applied in each replication domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MariaGtidState {
    /// One entry per domain, the most recent GTID seen there.
    pub domains: std::collections::BTreeMap<u32, MariaGtid>,
}

impl MariaGtidState {
    /// Records that `gtid` was applied (it becomes its domain's position).
    pub fn apply(&mut self, gtid: MariaGtid) {
        self.domains.insert(gtid.domain, gtid);
    }

    /// True when no domain has a position.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

impl fmt::Display for MariaGtidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for g in self.domains.values() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            g.fmt(f)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for MariaGtidState {
    type Err = String;
    /// Parses `0-1-100,1-2-5` (one GTID per domain; empty string for "from the beginning").
    fn from_str(s: &str) -> Result<Self, String> {
        let mut state = MariaGtidState::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let g: MariaGtid = part.parse()?;
            if state.domains.insert(g.domain, g).is_some() {
                return Err(format!("`{s}` names domain {} twice", g.domain));
            }
        }
        Ok(state)
    }
}

/// The GTID state of a position, in the flavor of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum GtidState {
    /// MySQL executed GTID set.
    MySql(MySqlGtidSet),
    /// MariaDB per-domain positions.
    MariaDb(MariaGtidState),
}

impl fmt::Display for GtidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GtidState::MySql(s) => s.fmt(f),
            GtidState::MariaDb(s) => s.fmt(f),
        }
    }
}

/// A binlog coordinate: the file and the byte offset of the next event to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FilePos {
    /// Binlog file name, e.g. `mariadb-bin.000003`.
    pub file: String,
    /// Byte offset in that file.
    pub pos: u64,
}

impl fmt::Display for FilePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}

impl std::str::FromStr for FilePos {
    type Err = String;
    /// Parses `FILE:POS`, e.g. `mariadb-bin.000003:1234`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (file, pos) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("`{s}` is not FILE:POS (e.g. mariadb-bin.000001:4)"))?;
        let pos: u64 = pos
            .parse()
            .map_err(|_| format!("`{s}`: position `{pos}` is not a number"))?;
        if file.is_empty() {
            return Err(format!("`{s}`: the file name is empty"));
        }
        if pos < 4 {
            return Err(format!(
                "`{s}`: positions start at 4 (after the binlog magic)"
            ));
        }
        Ok(FilePos {
            file: file.to_string(),
            pos,
        })
    }
}

impl FilePos {
    /// Orders two coordinates by their place in the binary log: by file sequence number
    /// (the numeric suffix, so `.999999` comes before `.1000000`), then offset. Files with
    /// different base names compare by name.
    pub fn binlog_cmp(&self, other: &FilePos) -> std::cmp::Ordering {
        fn split(file: &str) -> (&str, Option<u64>) {
            match file.rsplit_once('.') {
                Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    (base, n.parse().ok())
                }
                _ => (file, None),
            }
        }
        let (ab, an) = split(&self.file);
        let (bb, bn) = split(&other.file);
        ab.cmp(bb)
            .then(an.cmp(&bn))
            .then_with(|| self.file.cmp(&other.file))
            .then(self.pos.cmp(&other.pos))
    }
}

/// A full replication position: where to resume, by file:pos and by GTID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    /// File and offset just after the last applied transaction.
    pub file_pos: FilePos,
    /// GTID state including the last applied transaction, when the source uses GTIDs.
    pub gtid: Option<GtidState>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.file_pos.fmt(f)?;
        if let Some(g) = &self.gtid {
            let text = g.to_string();
            if !text.is_empty() {
                write!(f, " gtid {}", text.replace('\n', ""))?;
            }
        }
        Ok(())
    }
}

/// Where a stream starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPosition {
    /// The source's current end of binlog (`SHOW MASTER STATUS`): only new changes.
    Current,
    /// The first binlog file the source still has.
    Earliest,
    /// An explicit file:pos.
    FilePos(FilePos),
    /// After the given MySQL GTID set (COM_BINLOG_DUMP_GTID).
    MySqlGtid(MySqlGtidSet),
    /// After the given MariaDB GTID positions (`@slave_connect_state`).
    MariaGtid(MariaGtidState),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_gtid_set_round_trips_and_merges() {
        let mut set: MySqlGtidSet =
            "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7, 3e11fa47-71ca-11e1-9e33-c80aa9429562:6"
                .parse()
                .unwrap();
        assert_eq!(set.to_string(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7");
        let g = MySqlGtid {
            uuid: "3e11fa47-71ca-11e1-9e33-c80aa9429562".into(),
            tag: String::new(),
            gno: 9,
        };
        assert!(!set.contains(&g));
        set.add(&g);
        assert!(set.contains(&g));
        assert_eq!(
            set.to_string(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7:9"
        );
    }

    #[test]
    fn mysql_gtid_set_rejects_garbage() {
        assert!("nope:1-2".parse::<MySqlGtidSet>().is_err());
        assert!("3e11fa47-71ca-11e1-9e33-c80aa9429562"
            .parse::<MySqlGtidSet>()
            .is_err());
        assert!("3e11fa47-71ca-11e1-9e33-c80aa9429562:5-2"
            .parse::<MySqlGtidSet>()
            .is_err());
        assert!("3e11fa47-71ca-11e1-9e33-c80aa9429562:0"
            .parse::<MySqlGtidSet>()
            .is_err());
    }

    #[test]
    fn tagged_gtid_sets_parse() {
        let set: MySqlGtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3:blue:1-2"
            .parse()
            .unwrap();
        assert_eq!(set.sids.len(), 2);
        assert_eq!(
            set.to_string(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3:blue:1-2"
        );
    }

    #[test]
    fn maria_state_parses_and_prints() {
        let s: MariaGtidState = "0-1-100, 2-5-7".parse().unwrap();
        assert_eq!(s.to_string(), "0-1-100,2-5-7");
        assert!("0-1-100,0-2-3".parse::<MariaGtidState>().is_err());
        assert!("0-1".parse::<MariaGtidState>().is_err());
        assert!("".parse::<MariaGtidState>().unwrap().is_empty());
    }

    #[test]
    fn binlog_order_follows_the_file_sequence_number() {
        let fp = |s: &str| s.parse::<FilePos>().unwrap();
        use std::cmp::Ordering::*;
        assert_eq!(fp("b.000009:900").binlog_cmp(&fp("b.000010:4")), Less);
        assert_eq!(fp("b.999999:900").binlog_cmp(&fp("b.1000000:4")), Less);
        assert_eq!(fp("b.000010:4").binlog_cmp(&fp("b.000010:4")), Equal);
        assert_eq!(fp("b.000010:400").binlog_cmp(&fp("b.000010:4")), Greater);
    }

    #[test]
    fn file_pos_parses() {
        let p: FilePos = "mariadb-bin.000003:1234".parse().unwrap();
        assert_eq!(p.file, "mariadb-bin.000003");
        assert_eq!(p.pos, 1234);
        assert!("mariadb-bin.000003".parse::<FilePos>().is_err());
        assert!("x:2".parse::<FilePos>().is_err());
    }
}
