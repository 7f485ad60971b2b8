//! Capabilities and the policy that grants them.
//!
//! A plugin *requests* capabilities by importing the matching WIT interfaces (read from the
//! component before it runs, see [`crate::meta`]). A repository *grants* capabilities in
//! `.dgov/project.toml` under `[plugins.grants.<plugin-name>]`. What a plugin may use is the
//! intersection; anything else is refused at call time with `denied`.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// One permission a plugin can hold. Each maps to one WIT interface (or a WASI family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// `dgov:plugin/log`: always granted.
    Log,
    /// `dgov:plugin/fs-read` (and WASI file-system access to the root, read-only).
    FsRead,
    /// `dgov:plugin/fs-write` (and WASI file-system access to the root, read-write).
    FsWrite,
    /// `dgov:plugin/exec`: run allow-listed programs on the host.
    Exec,
    /// `dgov:plugin/baseline-store`: a private persistent key/value store.
    BaselineStore,
    /// `dgov:plugin/syntax`: source facts extracted by the host (read-only).
    Syntax,
    /// `wasi:sockets/*`: network access. dgov never grants it; a plugin that imports it
    /// still loads, but every socket operation is refused.
    Network,
}

impl Capability {
    /// Every capability, in a stable order.
    pub const ALL: [Capability; 7] = [
        Capability::Log,
        Capability::FsRead,
        Capability::FsWrite,
        Capability::Exec,
        Capability::BaselineStore,
        Capability::Syntax,
        Capability::Network,
    ];

    /// The name used in `project.toml` and in `dgov plugin check` output.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Log => "log",
            Capability::FsRead => "fs-read",
            Capability::FsWrite => "fs-write",
            Capability::Exec => "exec",
            Capability::BaselineStore => "baseline-store",
            Capability::Syntax => "syntax",
            Capability::Network => "network",
        }
    }

    /// Parse a capability name as written in `project.toml`.
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the `exec` capability may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecPolicy {
    /// Programs that may be run, by bare name (looked up on PATH) or exact path.
    pub allow: BTreeSet<String>,
    /// Environment variables a plugin may set on the child.
    pub env_allow: BTreeSet<String>,
    /// Host environment variables copied into the child (besides `PATH` and `HOME`).
    pub env_passthrough: BTreeSet<String>,
    /// Default and maximum wall-clock time for one command.
    pub default_timeout: Duration,
    pub max_timeout: Duration,
    /// Cap on captured stdout and on captured stderr, each.
    pub max_output_bytes: usize,
}

impl Default for ExecPolicy {
    fn default() -> Self {
        ExecPolicy {
            allow: BTreeSet::new(),
            env_allow: BTreeSet::new(),
            env_passthrough: BTreeSet::new(),
            default_timeout: Duration::from_secs(120),
            max_timeout: Duration::from_secs(1800),
            max_output_bytes: 4 * 1024 * 1024,
        }
    }
}

/// The capabilities granted for one invocation, plus their parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub capabilities: BTreeSet<Capability>,
    pub exec: ExecPolicy,
}

impl Grant {
    /// Only logging: the least a plugin can run with.
    pub fn log_only() -> Grant {
        Grant {
            capabilities: [Capability::Log].into(),
            exec: ExecPolicy::default(),
        }
    }

    /// Read-only access to the root, logging and a baseline store: the default for gates and
    /// analyzers a repository adds without saying more.
    pub fn read_only() -> Grant {
        Grant {
            capabilities: [
                Capability::Log,
                Capability::FsRead,
                Capability::BaselineStore,
                Capability::Syntax,
            ]
            .into(),
            exec: ExecPolicy::default(),
        }
    }

    /// Whether `cap` is granted.
    pub fn allows(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }

    /// This grant narrowed to what the plugin requested (`requested ∩ self`). Logging is
    /// always kept; the network is always dropped.
    pub fn intersect(&self, requested: &BTreeSet<Capability>) -> Grant {
        let mut capabilities: BTreeSet<Capability> =
            self.capabilities.intersection(requested).copied().collect();
        capabilities.insert(Capability::Log);
        capabilities.remove(&Capability::Network);
        let exec = if capabilities.contains(&Capability::Exec) {
            self.exec.clone()
        } else {
            ExecPolicy::default()
        };
        Grant { capabilities, exec }
    }

    /// The same grant without write access (used when a tool does not declare `writes`).
    pub fn without_writes(&self) -> Grant {
        let mut g = self.clone();
        g.capabilities.remove(&Capability::FsWrite);
        g
    }
}

/// Limits applied to every invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Linear-memory cap across the plugin's memories, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline for one call (enforced by epoch interruption).
    pub deadline: Duration,
    /// Optional deterministic instruction budget.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 256 * 1024 * 1024,
            deadline: Duration::from_secs(60),
            fuel: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersection_keeps_log_and_drops_network() {
        let grant = Grant {
            capabilities: [Capability::FsRead, Capability::Exec, Capability::Network].into(),
            exec: ExecPolicy {
                allow: ["cargo".to_owned()].into(),
                ..ExecPolicy::default()
            },
        };
        let requested = [Capability::FsRead, Capability::FsWrite, Capability::Network].into();
        let granted = grant.intersect(&requested);
        assert_eq!(
            granted.capabilities,
            [Capability::Log, Capability::FsRead].into_iter().collect()
        );
        // exec was not requested, so its allow-list is not carried along
        assert!(granted.exec.allow.is_empty());
    }

    #[test]
    fn capability_names_round_trip() {
        for cap in Capability::ALL {
            assert_eq!(Capability::from_name(cap.name()), Some(cap));
        }
        assert_eq!(Capability::from_name("root"), None);
    }
}
