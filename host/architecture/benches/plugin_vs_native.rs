//! Plugin vs native scan benchmark (filled in below).
fn main() {}
