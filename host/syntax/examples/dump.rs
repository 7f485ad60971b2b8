//! Prints the facts of the files given as arguments as JSON (a debugging aid).
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        match dgov_syntax::parse_file(&path, &bytes) {
            Ok(f) => println!("{}", serde_json::to_string_pretty(&f).unwrap_or_default()),
            Err(e) => eprintln!("{e}"),
        }
    }
}
