//! What threading reads of `messages`: each row's References, In-Reply-To
//! and the rest of [`ThreadInput`], and where the row says it stands now.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::model::{Placement, ThreadInput};
use crate::store::parquet::str_col;
use crate::store::tables;

/// The `messages` columns [`read_inputs`] needs.
pub(crate) const INPUT: [&str; 10] = ["msg_key", "message_id", "in_reply_to", "references", "subject", "date", "from_addr", "thread_id", "parent_key", "depth"];

/// Each row's threading input and where the row says it stands now.
pub(crate) fn read_inputs(df: &DataFrame) -> Result<(Vec<ThreadInput>, Vec<Placement>)> {
    let table = tables::MESSAGES.table;
    let s = |c: &str| str_col(df, table, c);
    let (key, id, subject, from) = (s("msg_key")?, s("message_id")?, s("subject")?, s("from_addr")?);
    let (tid, parent) = (s("thread_id")?, s("parent_key")?);
    let err = Error::table(table);
    let date = df.column("date").and_then(|c| c.cast(&DataType::Int64)).map_err(&err)?;
    let date = date.i64().map_err(&err)?.clone();
    let depth = df.column("depth").and_then(|c| c.cast(&DataType::UInt32)).map_err(&err)?;
    let depth = depth.u32().map_err(&err)?.clone();
    let irt = lists(df, "in_reply_to")?;
    let refs = lists(df, "references")?;
    let mut inputs = Vec::with_capacity(df.height());
    let mut stored = Vec::with_capacity(df.height());
    for (i, (irt, refs)) in irt.into_iter().zip(refs).enumerate() {
        let own = |c: &StringChunked| c.get(i).map(str::to_string);
        inputs.push(ThreadInput {
            key: own(&key).unwrap_or_default(),
            message_id: own(&id),
            in_reply_to: irt,
            references: refs,
            subject: own(&subject),
            date: date.get(i),
            from: own(&from),
        });
        stored.push(Placement { thread_id: own(&tid).unwrap_or_default(), parent: own(&parent), depth: depth.get(i).unwrap_or(0) });
    }
    Ok((inputs, stored))
}

/// A list-of-strings column, row by row.
fn lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<String>>> {
    let err = Error::table(tables::MESSAGES.table);
    let ca = df.column(name).map_err(&err)?.list().map_err(&err)?.clone();
    let mut out = Vec::with_capacity(ca.len());
    for row in ca.series_iter() {
        let v = match row {
            Some(s) => s.str().map_err(&err)?.iter().flatten().map(str::to_string).collect(),
            None => Vec::new(),
        };
        out.push(v);
    }
    Ok(out)
}

