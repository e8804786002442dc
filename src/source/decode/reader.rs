//! A bounds-checked cursor over a byte slice: every read returns an error instead of panicking.

use super::error::{DecodeError, DecodeResult};

/// Reads little- and big-endian integers, length-encoded integers and byte runs from a slice.
///
/// Binlog bytes come from the network or a file and may be truncated or corrupt, so every
/// accessor checks the remaining length and names what it was reading when it fails.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The unread tail, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Takes the next `n` bytes; `what` names the field for the error message.
    pub fn take(&mut self, n: usize, what: &str) -> DecodeResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| {
                DecodeError::new(format!(
                    "{what}: needs {n} bytes, {} left",
                    self.remaining()
                ))
            })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &str) -> DecodeResult<()> {
        self.take(n, what).map(|_| ())
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> DecodeResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// Unsigned little-endian integer of `n` (1..=8) bytes.
    pub fn uint_le(&mut self, n: usize, what: &str) -> DecodeResult<u64> {
        let bytes = self.take(n.min(8), what)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Unsigned big-endian integer of `n` (1..=8) bytes.
    pub fn uint_be(&mut self, n: usize, what: &str) -> DecodeResult<u64> {
        let bytes = self.take(n.min(8), what)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Little-endian u16.
    pub fn u16_le(&mut self, what: &str) -> DecodeResult<u16> {
        Ok(self.uint_le(2, what)? as u16)
    }

    /// Little-endian u32.
    pub fn u32_le(&mut self, what: &str) -> DecodeResult<u32> {
        Ok(self.uint_le(4, what)? as u32)
    }

    /// Little-endian u64.
    pub fn u64_le(&mut self, what: &str) -> DecodeResult<u64> {
        self.uint_le(8, what)
    }

    /// MySQL length-encoded integer (1, 3, 4 or 9 bytes). `None` for the NULL marker 0xFB.
    pub fn lenenc(&mut self, what: &str) -> DecodeResult<Option<u64>> {
        match self.u8(what)? {
            0xfb => Ok(None),
            0xfc => self.uint_le(2, what).map(Some),
            0xfd => self.uint_le(3, what).map(Some),
            0xfe => self.uint_le(8, what).map(Some),
            0xff => Err(DecodeError::new(format!(
                "{what}: 0xff is not a length-encoded integer"
            ))),
            b => Ok(Some(u64::from(b))),
        }
    }

    /// A length-encoded integer that must be present, converted to a usize.
    pub fn lenenc_usize(&mut self, what: &str) -> DecodeResult<usize> {
        let v = self
            .lenenc(what)?
            .ok_or_else(|| DecodeError::new(format!("{what}: unexpected NULL length")))?;
        usize::try_from(v).map_err(|_| DecodeError::new(format!("{what}: length {v} too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16_le("a").unwrap(), 0x0201);
        assert!(r
            .u16_le("b")
            .unwrap_err()
            .reason
            .contains("needs 2 bytes, 1 left"));
        assert_eq!(r.u8("c").unwrap(), 3);
        assert!(r.is_empty());
        assert!(r.take(usize::MAX, "huge").is_err());
    }

    #[test]
    fn big_endian_and_lenenc() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0xfc, 0x10, 0x27, 0xfb, 0xff]);
        assert_eq!(r.uint_be(3, "x").unwrap(), 0x010203);
        assert_eq!(r.lenenc("y").unwrap(), Some(10000));
        assert_eq!(r.lenenc("z").unwrap(), None);
        assert!(r.lenenc("w").is_err());
    }
}
