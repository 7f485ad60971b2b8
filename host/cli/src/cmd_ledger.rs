//! `dgov ledger add|list|resolve`: bugs, rules and decisions kept in the state database.

use clap::{Args, Subcommand, ValueEnum};
use dgov_store::{Category, LedgerStatus, Store, StoreError};
use serde_json::json;

use crate::Globals;
use crate::cmd_run::project_root;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Record an entry: CATEGORY is bug, fix, rule, pattern, note, debt, capability or decision.
    Add {
        category: String,
        text: String,
        /// A path the entry is about (repeatable); workers touching it see the entry.
        #[arg(long = "path", value_name = "P")]
        paths: Vec<String>,
    },
    /// List entries, newest first.
    List {
        #[arg(short = 'c', long = "category", value_name = "CAT")]
        category: Option<String>,
        #[arg(short = 's', long = "status", value_enum, default_value_t = StatusArg::Open)]
        status: StatusArg,
        /// Only entries whose text contains WORD.
        #[arg(short = 'q', long = "query", value_name = "WORD")]
        query: Option<String>,
    },
    /// Mark entry ID resolved.
    Resolve { id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Open,
    Resolved,
}

fn usage(e: StoreError) -> anyhow::Error {
    match e {
        e @ (StoreError::UnknownCategory(_) | StoreError::UnknownEntry(_)) => {
            with_code(exit::USAGE, e.into())
        }
        e => e.into(),
    }
}

pub fn run(args: LedgerArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    match args.command {
        LedgerCommand::Add {
            category,
            text,
            paths,
        } => {
            let cat = Category::parse(&category).map_err(usage)?;
            if text.trim().is_empty() {
                return Err(with_code(
                    exit::USAGE,
                    anyhow::anyhow!("the entry text is empty; say what to record"),
                ));
            }
            let mut store = Store::open(&root)?;
            let id = store.ledger_add(cat, &text, &paths)?;
            if g.json {
                println!(
                    "{}",
                    json!({"id": id, "category": cat.as_str(), "status": "open"})
                );
            } else {
                println!("Added {} entry #{id}", cat.as_str());
            }
        }
        LedgerCommand::List {
            category,
            status,
            query,
        } => {
            let cat = category
                .as_deref()
                .map(Category::parse)
                .transpose()
                .map_err(usage)?;
            let st = match status {
                StatusArg::Open => LedgerStatus::Open,
                StatusArg::Resolved => LedgerStatus::Resolved,
            };
            let entries = match Store::open_read_only(&root)? {
                Some(store) => store.ledger_list(cat, st, query.as_deref())?,
                None => Vec::new(),
            };
            if g.json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else if entries.is_empty() {
                match cat {
                    Some(c) => println!("No {} {}s found.", st.as_str(), c.as_str()),
                    None => println!("No {} entries found.", st.as_str()),
                }
            } else {
                for e in entries {
                    let paths = if e.affected_paths.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", e.affected_paths.join(", "))
                    };
                    println!("#{} [{}] {}{paths}", e.id, e.category, e.content);
                }
            }
        }
        LedgerCommand::Resolve { id } => {
            let mut store = Store::open(&root)?;
            let changed = store.ledger_resolve(id).map_err(usage)?;
            if g.json {
                println!(
                    "{}",
                    json!({"id": id, "status": "resolved", "changed": changed})
                );
            } else if changed {
                println!("Resolved entry #{id}");
            } else {
                println!("Entry #{id} was already resolved");
            }
        }
    }
    Ok(exit::SUCCESS)
}
