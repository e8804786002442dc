//! WRITE/UPDATE/DELETE rows events (v0, v1, v2) and PARTIAL_UPDATE_ROWS → [`RowChange`]s.
//!
//! Body: table id, flags, (v2: extra data), column count, the bitmap of columns present in
//! the (before) image, for updates a second bitmap for the after image, then row images
//! until the end. Each image is a NULL bitmap over its present columns followed by the
//! non-NULL values. Columns absent from a MINIMAL/NOBLOB image come out as `None`.

use std::sync::Arc;

use super::column::{decode_value, JsonForm};
use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;
use super::table_map::bit_lsb;
use crate::source::change::{Row, RowChange, RowKind};
use crate::source::table::{types, TableInfo};
use crate::source::value::Value;

/// Which rows event layout the body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsLayout {
    /// Insert, update or delete.
    pub kind: RowKind,
    /// v2 events carry an extra-data block after the flags.
    pub has_extra_data: bool,
    /// PARTIAL_UPDATE_ROWS: after-images may carry JSON diffs.
    pub partial_json: bool,
}

/// Reads the table id at the start of a rows event body (to find its table map).
pub fn rows_table_id(body: &[u8], table_id_len: usize) -> DecodeResult<u64> {
    Reader::new(body).uint_le(table_id_len, "rows event table id")
}

/// Decodes every row of a rows event body against `table`, appending to `out`.
pub fn decode_rows(
    body: &[u8],
    table_id_len: usize,
    layout: RowsLayout,
    table: &Arc<TableInfo>,
    out: &mut Vec<RowChange>,
) -> DecodeResult<()> {
    let mut r = Reader::new(body);
    r.skip(table_id_len, "rows event table id")?;
    r.skip(2, "rows event flags")?;
    if layout.has_extra_data {
        let extra = usize::from(r.u16_le("rows event extra data length")?);
        r.skip(extra.saturating_sub(2), "rows event extra data")?;
    }
    let width = r.lenenc_usize("rows event column count")?;
    if width != table.columns.len() {
        return Err(DecodeError::new(format!(
            "rows event for {} has {width} columns, its table map has {}",
            table.qualified_name(),
            table.columns.len()
        )));
    }
    let bitmap_len = width.div_ceil(8);
    let before_cols = r.take(bitmap_len, "columns-present bitmap")?;
    let after_cols = if layout.kind == RowKind::Update {
        r.take(bitmap_len, "after-image columns bitmap")?
    } else {
        before_cols
    };
    let json_columns = table
        .columns
        .iter()
        .filter(|c| c.column_type == types::JSON)
        .count();

    while !r.is_empty() {
        let start = r.position();
        let first = read_image(&mut r, table, before_cols, None)?;
        let change = match layout.kind {
            RowKind::Insert => RowChange {
                table: Arc::clone(table),
                kind: RowKind::Insert,
                before: None,
                after: Some(first),
            },
            RowKind::Delete => RowChange {
                table: Arc::clone(table),
                kind: RowKind::Delete,
                before: Some(first),
                after: None,
            },
            RowKind::Update => {
                let partial = if layout.partial_json {
                    read_partial_bits(&mut r, json_columns)?
                } else {
                    None
                };
                let after = read_image(&mut r, table, after_cols, partial.as_deref())?;
                RowChange {
                    table: Arc::clone(table),
                    kind: RowKind::Update,
                    before: Some(first),
                    after: Some(after),
                }
            }
        };
        // With no column present in its image(s) a row takes no bytes: the bytes left
        // could never be consumed (an endless loop of empty rows).
        if r.position() == start {
            return Err(DecodeError::new(format!(
                "rows event for {}: rows without present columns take no bytes, {} bytes left",
                table.qualified_name(),
                r.remaining()
            )));
        }
        out.push(change);
    }
    Ok(())
}

/// PARTIAL_UPDATE_ROWS after-images start with value options; bit 0 says a bitmap follows
/// with one bit per JSON column of the table, set where the value is a list of diffs.
fn read_partial_bits(r: &mut Reader<'_>, json_columns: usize) -> DecodeResult<Option<Vec<u8>>> {
    let options = r
        .lenenc("partial update value options")?
        .ok_or_else(|| DecodeError::new("partial update value options: NULL"))?;
    if options & 1 == 0 {
        return Ok(None);
    }
    Ok(Some(
        r.take(json_columns.div_ceil(8), "partial JSON bitmap")?
            .to_vec(),
    ))
}

fn read_image(
    r: &mut Reader<'_>,
    table: &TableInfo,
    present: &[u8],
    partial_json: Option<&[u8]>,
) -> DecodeResult<Row> {
    let width = table.columns.len();
    let present_count = (0..width).filter(|i| bit_lsb(present, *i)).count();
    let nulls = r.take(present_count.div_ceil(8), "row NULL bitmap")?;
    let mut row: Row = Vec::with_capacity(width);
    let mut ordinal = 0;
    let mut json_ordinal = 0;
    for (i, col) in table.columns.iter().enumerate() {
        let is_json = col.column_type == types::JSON;
        let partial = is_json && partial_json.is_some_and(|bits| bit_lsb(bits, json_ordinal));
        if is_json {
            json_ordinal += 1;
        }
        if !bit_lsb(present, i) {
            row.push(None);
            continue;
        }
        let is_null = bit_lsb(nulls, ordinal);
        ordinal += 1;
        if is_null {
            row.push(Some(Value::Null));
            continue;
        }
        let form = if partial {
            JsonForm::Diffs
        } else {
            JsonForm::Document
        };
        let value = decode_value(r, col, form).map_err(|e| {
            e.context(format!(
                "{} column {} ({})",
                table.qualified_name(),
                i + 1,
                col.display_name(i)
            ))
        })?;
        row.push(Some(value));
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::table::ColumnInfo;

    fn table() -> Arc<TableInfo> {
        let col = |t, meta| ColumnInfo {
            name: None,
            column_type: t,
            meta,
            unsigned: false,
            collation: None,
            nullable: true,
            labels: None,
            visible: true,
        };
        Arc::new(TableInfo {
            table_id: 1,
            schema: "db".into(),
            name: "t".into(),
            columns: vec![col(types::LONG, 0), col(types::VARCHAR, 20)],
            primary_key: vec![],
        })
    }

    #[test]
    fn decodes_update_with_minimal_before_image() {
        let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0, 2];
        body.push(0b01); // before image: only column 1 (the key)
        body.push(0b11); // after image: both
        body.extend([0b0, 5, 0, 0, 0]); // before: id=5
        body.extend([0b10, 6, 0, 0, 0]); // after: id=6, v NULL
        let mut out = Vec::new();
        let layout = RowsLayout {
            kind: RowKind::Update,
            has_extra_data: false,
            partial_json: false,
        };
        decode_rows(&body, 6, layout, &table(), &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].before, Some(vec![Some(Value::Int(5)), None]));
        assert_eq!(
            out[0].after,
            Some(vec![Some(Value::Int(6)), Some(Value::Null)])
        );
    }

    #[test]
    fn multi_row_insert_and_truncation() {
        let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0, 2, 0b11];
        body.extend([0, 1, 0, 0, 0, 1, b'a']);
        body.extend([0, 2, 0, 0, 0, 2, b'b', b'c']);
        let layout = RowsLayout {
            kind: RowKind::Insert,
            has_extra_data: false,
            partial_json: false,
        };
        let mut out = Vec::new();
        decode_rows(&body, 6, layout, &table(), &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1].after,
            Some(vec![
                Some(Value::Int(2)),
                Some(Value::Bytes(b"bc".to_vec()))
            ])
        );
        for cut in 0..body.len() - 1 {
            let mut out = Vec::new();
            let r = decode_rows(&body[..cut], 6, layout, &table(), &mut out);
            // A cut exactly between rows is a valid shorter event; any other cut must error.
            if cut != 17 && cut != 10 {
                assert!(r.is_err(), "cut at {cut} decoded");
            }
        }
    }

    #[test]
    fn rows_without_present_columns_are_an_error_not_an_endless_loop() {
        // Found by fuzzing (binlog_event): an all-zero columns-present bitmap makes every
        // row image zero bytes long, so the trailing byte was never consumed and rows of
        // `None` were pushed until memory ran out.
        let body = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0b00, 0xaa];
        for kind in [RowKind::Insert, RowKind::Update, RowKind::Delete] {
            let layout = RowsLayout {
                kind,
                has_extra_data: false,
                partial_json: false,
            };
            let mut body = body.to_vec();
            if kind == RowKind::Update {
                body.insert(10, 0b00); // after-image bitmap
            }
            let err = decode_rows(&body, 6, layout, &table(), &mut Vec::new()).unwrap_err();
            assert!(err.reason.contains("no bytes"), "{err}");
        }
    }

    #[test]
    fn column_count_mismatch_is_an_error() {
        let body = vec![1, 0, 0, 0, 0, 0, 0, 0, 3, 0b111];
        let layout = RowsLayout {
            kind: RowKind::Delete,
            has_extra_data: false,
            partial_json: false,
        };
        let err = decode_rows(&body, 6, layout, &table(), &mut Vec::new()).unwrap_err();
        assert!(err.reason.contains("3 columns"));
    }
}
