//! Packet framing and the generic reply packets.
//!
//! Wire format of a packet: `len: u24 LE`, `seq: u8`, then `len` payload bytes. A payload
//! of 0xFFFFFF bytes or more is sent as pieces of exactly 0xFFFFFF bytes, each with the
//! next sequence id, ending with a shorter piece (an empty one when the length is a
//! multiple of 0xFFFFFF). Sequence ids start at 0 with each client command and increase
//! by one per piece in both directions; the server checks the ids it receives.
//!
//! Reads are bounded: a payload longer than `max_packet` ends the connection before it
//! is buffered, and memory grows only as bytes actually arrive.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use mysql_common::constants::StatusFlags;
use mysql_common::packets::{ErrPacket, ServerError, SqlState};
use mysql_common::proto::MySerialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream, ReadBuf};
use tokio::net::TcpStream;

use super::WireError;

/// Largest payload of one piece: a longer payload continues in the next piece.
pub const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// Largest client packet accepted, after joining pieces (MySQL's `max_allowed_packet`
/// default is 64 MiB).
pub const DEFAULT_MAX_PACKET: usize = 64 << 20;

/// The connection's transport: plain TCP, or TLS after an SSL request.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP (boxed: the TLS state is large).
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Reads and writes whole packets on any byte stream, keeping the sequence id.
pub struct PacketIo<S = Stream> {
    stream: BufStream<S>,
    seq: u8,
    max_packet: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> PacketIo<S> {
    /// Packets over `stream`, accepting client payloads up to `max_packet` bytes.
    pub fn new(stream: S, max_packet: usize) -> PacketIo<S> {
        PacketIo {
            stream: BufStream::with_capacity(16 * 1024, 64 * 1024, stream),
            seq: 0,
            max_packet,
        }
    }

    /// Starts a new command exchange: the next packet read must have sequence id 0.
    pub fn reset_seq(&mut self) {
        self.seq = 0;
    }

    /// The sequence id the next packet (either direction) carries.
    pub fn seq(&self) -> u8 {
        self.seq
    }

    /// Reads one whole packet (joining pieces), checking sequence ids and the size limit.
    pub async fn read(&mut self) -> Result<Vec<u8>, WireError> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            self.stream.read_exact(&mut header).await?;
            let [a, b, c, seq] = header;
            let len = u32::from_le_bytes([a, b, c, 0]) as usize;
            if seq != self.seq {
                return Err(WireError::OutOfOrder {
                    expected: self.seq,
                    got: seq,
                });
            }
            self.seq = self.seq.wrapping_add(1);
            if payload.len().saturating_add(len) > self.max_packet {
                return Err(WireError::PacketTooLarge(payload.len().saturating_add(len)));
            }
            let want = len as u64;
            let got = (&mut self.stream)
                .take(want)
                .read_to_end(&mut payload)
                .await?;
            if got as u64 != want {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
            if len < MAX_PAYLOAD {
                return Ok(payload);
            }
        }
    }

    /// Queues one packet (split into pieces when needed); [`PacketIo::flush`] sends it.
    pub async fn write(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut rest = payload;
        loop {
            let n = rest.len().min(MAX_PAYLOAD);
            let (piece, tail) = rest.split_at(n);
            let len = (n as u32).to_le_bytes();
            self.stream
                .write_all(&[len[0], len[1], len[2], self.seq])
                .await?;
            self.stream.write_all(piece).await?;
            self.seq = self.seq.wrapping_add(1);
            rest = tail;
            if n < MAX_PAYLOAD {
                return Ok(());
            }
        }
    }

    /// Sends everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.stream.flush().await
    }

    /// Queues and sends one packet.
    pub async fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        self.write(payload).await?;
        self.flush().await
    }

    /// Sends an ERR packet (see [`err_packet`]).
    pub async fn send_error(&mut self, code: u16, state: &str, message: &str) -> io::Result<()> {
        self.send(&err_packet(code, state, message)).await
    }

    /// Reads one packet straight from the stream without read-ahead (so that the bytes
    /// after it, e.g. a TLS ClientHello following an SSL request, stay in the socket).
    pub async fn read_unbuffered(&mut self) -> Result<Vec<u8>, WireError> {
        let stream = self.stream.get_mut();
        let mut header = [0u8; 4];
        stream.read_exact(&mut header).await?;
        let [a, b, c, seq] = header;
        let len = u32::from_le_bytes([a, b, c, 0]) as usize;
        if seq != self.seq {
            return Err(WireError::OutOfOrder {
                expected: self.seq,
                got: seq,
            });
        }
        self.seq = self.seq.wrapping_add(1);
        // Handshake responses are small; a bigger first packet is not a client.
        if len >= MAX_PAYLOAD || len > self.max_packet {
            return Err(WireError::PacketTooLarge(len));
        }
        let mut payload = Vec::new();
        let got = stream.take(len as u64).read_to_end(&mut payload).await?;
        if got != len {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        Ok(payload)
    }

    /// The stream, sequence id and size limit (to replace the stream by its TLS upgrade);
    /// anything queued and not flushed is lost.
    pub fn into_parts(self) -> (S, u8, usize) {
        (self.stream.into_inner(), self.seq, self.max_packet)
    }

    /// Packets over `stream` continuing at sequence id `seq` (see [`PacketIo::into_parts`]).
    pub fn from_parts(stream: S, seq: u8, max_packet: usize) -> PacketIo<S> {
        let mut io = PacketIo::new(stream, max_packet);
        io.seq = seq;
        io
    }
}

/// Appends a length-encoded integer: `< 0xFB` as one byte, else `0xFC` + u16,
/// `0xFD` + u24 or `0xFE` + u64 (all little-endian).
pub fn put_lenenc_int(buf: &mut Vec<u8>, n: u64) {
    if n < 0xFB {
        buf.push(n as u8);
    } else if n <= 0xFFFF {
        buf.push(0xFC);
        buf.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xFF_FFFF {
        buf.push(0xFD);
        buf.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
    } else {
        buf.push(0xFE);
        buf.extend_from_slice(&n.to_le_bytes());
    }
}

/// Appends a length-encoded string: its length as [`put_lenenc_int`], then the bytes.
pub fn put_lenenc_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_lenenc_int(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// An OK packet: `0x00` (or `0xFE` for `header`, the result-set terminator under
/// CLIENT_DEPRECATE_EOF), affected rows and last insert id as length-encoded integers,
/// status flags u16, warnings u16, then the info text as a length-encoded string when
/// not empty (MySQL and MariaDB both send it length-encoded).
pub fn ok_packet(
    header: u8,
    affected_rows: u64,
    status: StatusFlags,
    warnings: u16,
    info: &str,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(16 + info.len());
    buf.push(header);
    put_lenenc_int(&mut buf, affected_rows);
    put_lenenc_int(&mut buf, 0);
    buf.extend_from_slice(&status.bits().to_le_bytes());
    buf.extend_from_slice(&warnings.to_le_bytes());
    if !info.is_empty() {
        put_lenenc_bytes(&mut buf, info.as_bytes());
    }
    buf
}

/// An old-style EOF packet (clients without CLIENT_DEPRECATE_EOF): `0xFE`, warnings u16,
/// status flags u16.
pub fn eof_packet(status: StatusFlags, warnings: u16) -> Vec<u8> {
    let mut buf = Vec::with_capacity(5);
    buf.push(0xFE);
    buf.extend_from_slice(&warnings.to_le_bytes());
    buf.extend_from_slice(&status.bits().to_le_bytes());
    buf
}

/// An ERR packet: `0xFF`, code u16, `#`, the 5-character SQLSTATE, then the message.
/// A state that is not 5 ASCII characters is sent as `HY000`.
pub fn err_packet(code: u16, state: &str, message: &str) -> Vec<u8> {
    let state: [u8; 5] = state
        .as_bytes()
        .try_into()
        .ok()
        .filter(|s: &[u8; 5]| s.is_ascii())
        .unwrap_or(*b"HY000");
    let err = ErrPacket::Error(ServerError::new(
        code,
        Some(SqlState::new(state)),
        message.as_bytes(),
    ));
    let mut buf = Vec::with_capacity(9 + message.len());
    err.serialize(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::constants::CapabilityFlags;
    use mysql_common::io::ParseBuf;
    use mysql_common::packets::{CommonOkPacket, OkPacketDeserializer};
    use mysql_common::proto::MyDeserialize;

    async fn roundtrip(len: usize) {
        let (a, b) = tokio::io::duplex(1 << 20);
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let sent = payload.clone();
        let writer = tokio::spawn(async move {
            let mut io = PacketIo::new(a, usize::MAX);
            io.send(&sent).await.unwrap();
            io.seq()
        });
        let mut io = PacketIo::new(b, usize::MAX);
        let got = io.read().await.unwrap();
        let seq_after_write = writer.await.unwrap();
        assert_eq!(got.len(), payload.len());
        assert!(got == payload);
        assert_eq!(io.seq(), seq_after_write);
        let pieces = len / MAX_PAYLOAD + 1;
        assert_eq!(io.seq() as usize, pieces);
    }

    #[tokio::test]
    async fn packets_split_and_join_at_16_mib() {
        roundtrip(0).await;
        roundtrip(5).await;
        roundtrip(MAX_PAYLOAD - 1).await;
        roundtrip(MAX_PAYLOAD).await; // one full piece + an empty one
        roundtrip(MAX_PAYLOAD + 10).await;
        roundtrip(2 * MAX_PAYLOAD).await;
    }

    #[tokio::test]
    async fn split_pieces_have_the_documented_headers() {
        let (a, mut b) = tokio::io::duplex(1 << 26);
        let mut io = PacketIo::new(a, usize::MAX);
        io.send(&vec![7u8; MAX_PAYLOAD]).await.unwrap();
        drop(io);
        let mut all = Vec::new();
        b.read_to_end(&mut all).await.unwrap();
        assert_eq!(all.len(), 4 + MAX_PAYLOAD + 4);
        assert_eq!(&all[..4], &[0xFF, 0xFF, 0xFF, 0]);
        assert_eq!(&all[4 + MAX_PAYLOAD..], &[0, 0, 0, 1]);
    }

    #[tokio::test]
    async fn oversized_and_out_of_order_packets_are_refused() {
        let (mut a, b) = tokio::io::duplex(1024);
        a.write_all(&[200, 0, 0, 0]).await.unwrap();
        let mut io = PacketIo::new(b, 100);
        assert!(matches!(
            io.read().await,
            Err(WireError::PacketTooLarge(200))
        ));

        let (mut a, b) = tokio::io::duplex(1024);
        a.write_all(&[1, 0, 0, 3, 9]).await.unwrap();
        let mut io = PacketIo::new(b, 100);
        assert!(matches!(
            io.read().await,
            Err(WireError::OutOfOrder {
                expected: 0,
                got: 3
            })
        ));

        let (mut a, b) = tokio::io::duplex(1024);
        a.write_all(&[10, 0, 0, 0, 1, 2]).await.unwrap();
        drop(a);
        let mut io = PacketIo::new(b, 100);
        assert!(matches!(io.read().await, Err(WireError::Io(_))));
    }

    #[test]
    fn lenenc_integers_use_the_shortest_form() {
        let enc = |n| {
            let mut b = vec![];
            put_lenenc_int(&mut b, n);
            b
        };
        assert_eq!(enc(250), vec![250]);
        assert_eq!(enc(251), vec![0xFC, 251, 0]);
        assert_eq!(enc(0x1_0000), vec![0xFD, 0, 0, 1]);
        assert_eq!(enc(1 << 24), vec![0xFE, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn ok_and_err_packets_parse_with_mysql_common() {
        let ok = ok_packet(0, 3, StatusFlags::SERVER_STATUS_AUTOCOMMIT, 2, "hi");
        let parsed = ParseBuf(&ok)
            .parse::<OkPacketDeserializer<CommonOkPacket>>(CapabilityFlags::CLIENT_PROTOCOL_41)
            .unwrap()
            .into_inner();
        assert_eq!(parsed.affected_rows(), 3);
        assert_eq!(parsed.warnings(), 2);
        assert_eq!(parsed.info_ref(), Some(&b"hi"[..]));
        assert!(parsed
            .status_flags()
            .contains(StatusFlags::SERVER_STATUS_AUTOCOMMIT));

        let err = err_packet(1045, "28000", "Access denied");
        let parsed =
            ErrPacket::deserialize(CapabilityFlags::CLIENT_PROTOCOL_41, &mut ParseBuf(&err))
                .unwrap();
        let ErrPacket::Error(e) = parsed else {
            panic!("not an error")
        };
        assert_eq!(e.error_code(), 1045);
        assert_eq!(e.sql_state_ref().unwrap().as_str(), "28000");
        assert_eq!(e.message_str(), "Access denied");
        // A malformed state falls back to HY000 instead of corrupting the packet.
        assert_eq!(&err_packet(1, "bad", "x")[3..9], b"#HY000");
    }
}
