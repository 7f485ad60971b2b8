//! Stand-alone worker subprocess (the same code as the hidden `dgov worker --spec FILE`),
//! used by this crate's tests and benchmarks, which cannot name the `dgov` binary.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(spec) = args
        .iter()
        .position(|a| a == "--spec")
        .and_then(|i| args.get(i + 1))
    else {
        eprintln!("usage: dgov-worker-proc --spec FILE");
        std::process::exit(2);
    };
    std::process::exit(i32::from(dgov_worker::entry::main_with_spec(
        std::path::Path::new(spec),
    )));
}
