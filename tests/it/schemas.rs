//! The table contracts in schemas/ are generated from the code's table specs,
//! and what an ingest writes must match them. A mismatch writes the actual
//! schema next to the checked-in one (`schemas/NAME.actual.json`).

use std::path::Path;

use mailidx::store::DbPaths;
use mailidx::ingest::{ingest, IngestConfig, NoProgress};
use mailidx::store::parquet::read_table;
use mailidx::store::tables::{TableSpec, ALL};

fn schema_json(spec: &TableSpec) -> String {
    serde_json::to_string_pretty(spec).unwrap() + "\n"
}

#[test]
fn checked_in_schemas_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut checked = 0;
    let mut stale = Vec::new();
    for spec in ALL {
        let path = dir.join(format!("{}.json", spec.table));
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        let got = schema_json(spec);
        if want != got {
            let actual = dir.join(format!("{}.actual.json", spec.table));
            std::fs::write(&actual, &got).unwrap();
            stale.push(format!("{} differs from the code; the code's version is in {}", path.display(), actual.display()));
        }
        checked += 1;
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
    assert!(checked >= 2);
}

#[test]
fn written_tables_match_their_schemas() {
    let db = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail");
    let cfg = IngestConfig::new(vec![samples], DbPaths::new(db.path()));
    let summary = ingest(&cfg, &NoProgress).unwrap();
    assert!(summary.messages > 0);
    for spec in ALL {
        let df = read_table(&cfg.db.tables_dir(), spec.table).unwrap();
        let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let want: Vec<String> = spec.columns.iter().map(|c| c.name.to_string()).collect();
        assert_eq!(names, want, "columns of {}", spec.table);
        for (col, c) in df.columns().iter().zip(spec.columns.iter()) {
            assert_eq!(col.dtype(), &c.col_type.polars_dtype(), "{}.{}", spec.table, c.name);
            if !c.nullable {
                assert_eq!(col.null_count(), 0, "{}.{} is declared non-null", spec.table, c.name);
            }
        }
    }
}
