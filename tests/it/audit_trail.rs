//! Audit rows are never updated or deleted by the app: no SQL in `src/` (nor a migration
//! trigger) changes `audit_events` other than by INSERT.

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable source folder")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
            out.push(path);
        }
    }
}

#[test]
fn audit_rows_are_only_ever_inserted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("migrations"), &mut files);
    assert!(files.len() > 50, "the sources were found: {}", files.len());
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        // Fold whitespace so a statement split over lines is still seen.
        let flat = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        for statement in [
            "update audit_events",
            "delete from audit_events",
            "replace into audit_events",
            "insert or replace into audit_events",
            "truncate audit_events",
            "drop table audit_events",
        ] {
            if flat.contains(statement) {
                offending.push(format!("{}: {statement}", file.display()));
            }
        }
    }
    assert!(offending.is_empty(), "audit rows changed by: {offending:?}");
}
